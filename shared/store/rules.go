package store

import (
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// The rules and sentences below are shared by every implementation, so that
// API users read the same words whichever store runs.

// CheckVersion applies the expected-version rule of AnyVersion to a stored
// item (found, at version stored).
func CheckVersion(kind, name string, found bool, stored, expect int64) error {
	switch {
	case expect == AnyVersion:
		return nil
	case !found:
		return fault.Conflict("%s %q does not exist, so it is not at version %d; create it without an expected version", kind, name, expect)
	case stored != expect:
		return fault.Conflict("%s %q was changed by another writer: stored version %d, expected %d; read it again and retry", kind, name, stored, expect)
	}
	return nil
}

// NotFound is the error for a missing item.
func NotFound(kind, name string) error {
	return fault.NotFound("%s %q does not exist", kind, name)
}

// CheckKeyPart rejects values a store cannot key on. Domain validation
// (length, characters) happens before the store; this only guards the key
// layout: no empty parts (DynamoDB refuses them) and no NUL (the embedded
// store's separator).
func CheckKeyPart(field, value string) error {
	switch {
	case value == "":
		return fault.Invalid(field, "is required")
	case strings.ContainsRune(value, 0):
		return fault.Invalid(field, "must not contain NUL characters")
	}
	return nil
}

// MovingActive is the error for moving an active policy to another function.
func MovingActive(name, from, to string) error {
	return fault.Conflict("policy %q is active for function %q and cannot move to function %q; deactivate it first", name, from, to)
}

// Expired reports whether a record's retention has passed; a zero ExpiresAt
// never expires.
func Expired(r invocation.Record, now time.Time) bool {
	return !r.ExpiresAt.IsZero() && r.ExpiresAt.Before(now)
}

// CheckRecord rejects a record a store cannot key on.
func CheckRecord(r invocation.Record) error {
	if err := CheckKeyPart("invocation_id", r.ID); err != nil {
		return err
	}
	if err := CheckKeyPart("function_name", r.FunctionName); err != nil {
		return err
	}
	if strings.ContainsRune(r.KeyID, 0) {
		return fault.Invalid("key_id", "must not contain NUL characters")
	}
	return nil
}

// LastAdminKey is the error for deleting the only admin key, which would
// leave nobody able to manage the installation.
func LastAdminKey(id string) error {
	return fault.Conflict("key %s is the last admin key; create another admin key before deleting it", id)
}

// PageSize returns the page size of q, or why q cannot be answered.
func PageSize(q invocation.Query) (int, error) {
	switch {
	case q.Since.IsZero():
		return 0, fault.Invalid("since", "is required")
	case q.Until.IsZero():
		return 0, fault.Invalid("until", "is required")
	case q.Limit > invocation.MaxLimit:
		return 0, fault.Invalid("limit", "must be at most %d, got %d", invocation.MaxLimit, q.Limit)
	case q.Limit <= 0:
		return invocation.DefaultLimit, nil
	}
	return q.Limit, nil
}

// StoredKey is an API key as stored: the domain type leaves its hash out of
// JSON so that it never reaches an API response, but a store must keep it.
type StoredKey struct {
	ID        string      `json:"id"`
	Hash      string      `json:"hash"`
	Name      string      `json:"name"`
	Role      apikey.Role `json:"role"`
	Team      string      `json:"team,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
}

// StoreKey returns the stored form of k.
func StoreKey(k apikey.Key) StoredKey {
	return StoredKey{ID: k.ID, Hash: k.Hash, Name: k.Name, Role: k.Role, Team: k.Team, CreatedAt: k.CreatedAt.UTC()}
}

// Key returns the domain form.
func (k StoredKey) Key() apikey.Key {
	return apikey.Key{ID: k.ID, Hash: k.Hash, Name: k.Name, Role: k.Role, Team: k.Team, CreatedAt: k.CreatedAt}
}

// CheckCard rejects a card a store cannot keep: unsealed, or with key parts
// that would not round-trip.
func CheckCard(c pricing.Card) error {
	var vs fault.Violations
	if c.Version == "" {
		vs.Add("version", "the card is not sealed (pricing.Card.Seal)")
	}
	for _, f := range [][2]string{{"provider", string(c.Provider)}, {"plan", string(c.Plan)}, {"region", c.Region}, {"arch", string(c.Arch)}} {
		if f[1] == "" || strings.ContainsAny(f[1], "/\x00") {
			vs.Add(f[0], "must be set and hold no '/' or NUL")
		}
	}
	return vs.Err()
}

// CheckModel rejects a model a store cannot key on or version.
func CheckModel(m predict.Model, replaces int64) error {
	if err := CheckKeyPart("function", m.Function); err != nil {
		return err
	}
	if err := CheckKeyPart("deployment", m.Deployment); err != nil {
		return err
	}
	if replaces < 0 {
		return fault.Invalid("replaces", "must be 0 (no champion yet) or the champion's version, not %d", replaces)
	}
	return nil
}

// ModelMoved is the error for a champion replaced by another training.
func ModelMoved(function, deployment string, stored, replaces int64) error {
	if stored == 0 {
		return fault.Conflict("the model of %s/%s has no champion, not version %d; retrain", function, deployment, replaces)
	}
	return fault.Conflict("the model of %s/%s is at version %d, not %d: another training replaced it meanwhile; retrain", function, deployment, stored, replaces)
}
