// Package store is the contract between FISO's services and the places that
// keep its state: configuration (functions, policies, API keys) and the
// invocation log. Implementations live in store/dynamo (DynamoDB, for the
// cloud) and store/embedded (bbolt, for local runs); both pass the contract
// tests in store/storetest.
package store

import (
	"context"
	"time"

	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// AnyVersion makes a write unconditional. Any other expected version makes the
// write fail with fault.ErrConflict unless the stored item has that version.
const AnyVersion int64 = 0

// Store is everything FISO keeps.
type Store interface {
	Functions
	Policies
	Keys
	Invocations
	RateCards
	Costs
	Models
	Budgets
	Alerts
	Anomalies
	Close() error
}

// Functions keeps functions with their deployments.
type Functions interface {
	// GetFunction fails with fault.ErrNotFound when there is no such function.
	GetFunction(ctx context.Context, name string) (catalog.Function, error)
	// ListFunctions returns every function ordered by name.
	ListFunctions(ctx context.Context) ([]catalog.Function, error)
	// PutFunction creates or replaces the function's name, description and
	// deployments. The store sets Version (1 on create, +1 on each write) and
	// CreatedAt (kept from the stored item, else f.UpdatedAt), keeps
	// ActivePolicy as stored, and reports whether the function is new.
	PutFunction(ctx context.Context, f catalog.Function, expect int64) (catalog.Function, bool, error)
	// DeleteFunction fails with fault.ErrConflict while a policy routing the
	// function is active, and with fault.ErrNotFound when it does not exist.
	DeleteFunction(ctx context.Context, name string, expect int64) error
}

// Policies keeps routing policies and which one is active for each function.
type Policies interface {
	GetPolicy(ctx context.Context, name string) (policy.Policy, error)
	// ListPolicies returns every policy ordered by name.
	ListPolicies(ctx context.Context) ([]policy.Policy, error)
	// PutPolicy creates or replaces a policy's definition, with the same
	// version rules as PutFunction. IsActive is kept as stored; moving an
	// active policy to another function fails with fault.ErrConflict.
	PutPolicy(ctx context.Context, p policy.Policy, expect int64) (policy.Policy, bool, error)
	// DeletePolicy fails with fault.ErrConflict while the policy is active.
	DeletePolicy(ctx context.Context, name string, expect int64) error
	// ActivatePolicy atomically makes the policy the active one of its
	// function (deactivating the one before it) and makes its function the
	// default one (the seed's /api/v1/orchestrate target). It fails with
	// fault.ErrNotFound for an unknown policy and fault.ErrConflict when the
	// policy's function does not exist.
	ActivatePolicy(ctx context.Context, name string, now time.Time) (policy.Policy, error)
	// DeactivatePolicy atomically clears the policy's active flag and its
	// function's ActivePolicy.
	DeactivatePolicy(ctx context.Context, name string, now time.Time) (policy.Policy, error)
	// DefaultFunction is the function of the most recently activated policy;
	// fault.ErrNotFound before any activation.
	DefaultFunction(ctx context.Context) (string, error)
}

// Keys keeps hashed API keys.
type Keys interface {
	// PutKey stores a new key; fault.ErrConflict if its hash is already stored.
	PutKey(ctx context.Context, k apikey.Key) error
	// KeyByHash fails with fault.ErrNotFound for an unknown hash.
	KeyByHash(ctx context.Context, hash string) (apikey.Key, error)
	// ListKeys returns every key ordered by ID.
	ListKeys(ctx context.Context) ([]apikey.Key, error)
	// DeleteKey removes the key with this ID; fault.ErrNotFound if none,
	// fault.ErrConflict when it is the last admin key (checked atomically
	// with the delete).
	DeleteKey(ctx context.Context, id string) error
}

// Invocations keeps the invocation log.
type Invocations interface {
	// PutInvocation writes a record and adds it to the cost aggregates
	// (CostDeltas); writing it again (same ID, function and timestamp)
	// replaces it without counting it twice. A zero ExpiresAt never expires. A store may
	// acknowledge before the record is durable (the embedded store does, by
	// under one group commit), but every read that starts after PutInvocation
	// returns sees the record.
	PutInvocation(ctx context.Context, r invocation.Record) error
	// GetInvocation fails with fault.ErrNotFound for an unknown or expired
	// ID. On DynamoDB it reads through an eventually consistent index, so a
	// record written a moment ago may briefly be missing.
	GetInvocation(ctx context.Context, id string) (invocation.Record, error)
	// ListInvocations returns records newest first, by key lookups only
	// (never a full scan), with Next set when more may follow. Expired
	// records are never returned.
	ListInvocations(ctx context.Context, q invocation.Query) (invocation.Page, error)
}

// RateCards keeps versioned rate cards: the card in force per key and the
// ones it replaced.
type RateCards interface {
	// PutRateCard makes c (sealed: Version set) the card in force for its
	// key and keeps the card it replaces in the history. It reports false,
	// changing nothing, when c's version is already in force.
	PutRateCard(ctx context.Context, c pricing.Card) (bool, error)
	// CurrentRateCards returns the card in force of every key, ordered by key.
	CurrentRateCards(ctx context.Context) ([]pricing.Card, error)
	// RateCardHistory returns every card stored for a key, newest first.
	RateCardHistory(ctx context.Context, k pricing.Key) ([]pricing.Card, error)
}

// Costs answers cost queries from the aggregates PutInvocation keeps, never
// by reading the invocation log.
type Costs interface {
	// CostTotals returns one row per group with anything counted in the
	// days of q, ordered by group; fault.ErrInvalid for a bad query.
	CostTotals(ctx context.Context, q CostQuery) ([]CostRow, error)
	// HourlyCosts returns the spend of one value of an hourly dimension
	// (HourlyDimensions: function, team, day with value AllCalls) in each
	// UTC hour of [from, to), both truncated to hours: only hours with
	// something counted, oldest first. fault.ErrInvalid for another
	// dimension, an empty value or a range that is empty or longer than
	// MaxHourlyDays.
	HourlyCosts(ctx context.Context, dim Dimension, value string, from, to time.Time) ([]HourlyCost, error)
}

// Models keeps the predictive models: the champion of each deployment of a
// function and every champion before it.
type Models interface {
	// PutModel makes m the champion of its function and deployment,
	// provided the champion is still at version replaces (0: there is
	// none), and keeps it in the history. The store sets m.Version to
	// replaces+1 and returns m; fault.ErrConflict when another training
	// replaced the champion meanwhile.
	PutModel(ctx context.Context, m predict.Model, replaces int64) (predict.Model, error)
	// CurrentModels returns the champions of a function's deployments,
	// ordered by deployment ID (none when it has no model yet).
	CurrentModels(ctx context.Context, function string) ([]predict.Model, error)
	// ModelHistory returns the models of one deployment, newest first, at
	// most limit of them (limit <= 0: all).
	ModelHistory(ctx context.Context, function, deployment string, limit int) ([]predict.Model, error)
}

// CheckAnomaly rejects an anomaly a store cannot key on (Anomalies): a
// dimension or value that is empty or holds a NUL, or no hour.
func CheckAnomaly(a anomaly.Anomaly) error {
	var vs fault.Violations
	if CheckKeyPart("dimension", a.Dimension) != nil {
		vs.Add("dimension", "must be set and hold no NUL")
	}
	if CheckKeyPart("value", a.Value) != nil {
		vs.Add("value", "must be set and hold no NUL")
	}
	if a.Hour.IsZero() {
		vs.Add("hour", "is required")
	}
	return vs.Err()
}

// AnomalyOf is an anomaly as a store keeps it: its hour truncated to the UTC
// hour (its ID names that hour, so two anomalies of one hour are one), its
// detection time in UTC.
func AnomalyOf(a anomaly.Anomaly) anomaly.Anomaly {
	a.Hour = Hour(a.Hour)
	a.DetectedAt = a.DetectedAt.UTC()
	return a
}
