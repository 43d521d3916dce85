// Package invocation is the invocation log's record: what FISO knew when it
// routed a call, every attempt it made and how the call ended. Payloads are
// never part of it, only their sizes.
package invocation

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

// Record is one invocation, with the seed design's invocation-log fields that
// are known at call time, the routing decision and every attempt.
type Record struct {
	ID           string           `json:"invocation_id"`
	Timestamp    time.Time        `json:"timestamp"`
	FunctionName string           `json:"function_name"`
	Provider     catalog.Provider `json:"provider,omitempty"`
	Region       string           `json:"region,omitempty"`
	DeploymentID string           `json:"deployment_id,omitempty"`
	// RequestSizeBytes and ResponseSizeBytes are the payload sizes; the
	// payloads themselves are never stored.
	RequestSizeBytes  int `json:"request_size_bytes"`
	ResponseSizeBytes int `json:"response_size_bytes"`
	// ExecutionTimeMs is the round trip of the attempt that answered (or of the
	// last attempt when none did), as FISO measured it.
	ExecutionTimeMs float64 `json:"execution_time_ms"`
	// TotalTimeMs is everything FISO spent on the call, failed attempts included.
	TotalTimeMs float64 `json:"total_time_ms"`
	// ColdStart is set only when the provider reports it (AWS, through the
	// REPORT line's Init Duration).
	ColdStart     *bool `json:"cold_start"`
	ErrorOccurred bool  `json:"error_occurred"`
	// StatusCode is what FISO answered the caller.
	StatusCode int `json:"status_code"`
	// DayOfWeek is 0 for Monday to 6 for Sunday, UTC; HourOfDay is 0-23, UTC.
	DayOfWeek  int    `json:"day_of_week"`
	HourOfDay  int    `json:"hour_of_day"`
	UserRegion string `json:"user_region,omitempty"`
	// KeyID and Team identify the API key that made the call.
	KeyID    string    `json:"key_id"`
	Team     string    `json:"team,omitempty"`
	Decision Decision  `json:"decision"`
	Attempts []Attempt `json:"attempts"`
	// Tags are the caller's labels (ParseTags, from X-Fiso-Tags); the
	// call's cost counts under each of them.
	Tags map[string]string `json:"tags,omitempty"`
	// CostUSD is the list-price cost of every attempt the platforms billed
	// (0 when none reached a function; nil when FISO prices nothing); the
	// billing fields describe the last billed attempt.
	CostUSD          *float64 `json:"cost_usd,omitempty"`
	BilledDurationMs float64  `json:"billed_duration_ms,omitempty"`
	BilledMemoryMB   int      `json:"billed_memory_mb,omitempty"`
	RateCardVersion  string   `json:"rate_card_version,omitempty"`
	// CostSource says whether the billed duration was reported by the
	// provider (provider-reported, AWS's REPORT line) or computed from FISO's
	// measured round trip with the provider's rounding (computed); CostNote
	// says why a call could not be priced.
	CostSource string `json:"cost_source,omitempty"`
	CostNote   string `json:"cost_note,omitempty"`
	// Unpriced is set when an attempt the platform billed (or may have
	// billed: one that timed out) has no cost; cost_usd is then a lower
	// bound. A call that reached no function costs 0 and is priced.
	Unpriced bool `json:"unpriced,omitempty"`
	// BaselineCostUSD is what the call would have cost on the policy's
	// static default deployment (the actual cost when it ran there), for
	// the savings report; nil when it cannot be told.
	BaselineCostUSD *float64 `json:"baseline_cost_usd,omitempty"`
	// ExpiresAt is when the record may be deleted (DynamoDB TTL).
	ExpiresAt time.Time `json:"expires_at"`
}

// Decision is why the call went where it went.
type Decision struct {
	Policy   string `json:"policy,omitempty"`
	Strategy string `json:"strategy"`
	Reason   string `json:"reason"`
	// Arm is the experiment arm ("a" or "b") of a split policy; Strategy is
	// then the arm's strategy.
	Arm string `json:"arm,omitempty"`
	// Explored is set when the call went to a deployment the model is unsure
	// of, to keep its data fresh, rather than to the strategy's winner.
	Explored bool `json:"explored,omitempty"`
	// Candidates are the deployments in the order they were to be tried.
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one deployment as the strategy saw it. The predicted figures
// stay empty until a strategy that predicts fills them.
type Candidate struct {
	DeploymentID       string           `json:"deployment_id"`
	Provider           catalog.Provider `json:"provider"`
	Region             string           `json:"region"`
	Reason             string           `json:"reason"`
	PredictedLatencyMs *float64         `json:"predicted_latency_ms,omitempty"`
	PredictedP95Ms     *float64         `json:"predicted_p95_ms,omitempty"`
	PredictedCostUSD   *float64         `json:"predicted_cost_usd,omitempty"`
	ColdStartRisk      *float64         `json:"cold_start_risk,omitempty"`
	Score              *float64         `json:"score,omitempty"`
}

// Cost sources.
const (
	CostReported = "provider-reported"
	CostComputed = "computed"
)

// Outcome is how one attempt ended.
type Outcome string

// Attempt outcomes.
const (
	OK      Outcome = "ok"
	Failed  Outcome = "error"
	Timeout Outcome = "timeout"
	// Skipped attempts were not sent: the deployment's circuit was open.
	Skipped Outcome = "skipped"
)

// Attempt is one call (or skipped call) to one deployment.
type Attempt struct {
	DeploymentID string           `json:"deployment_id"`
	Provider     catalog.Provider `json:"provider"`
	Region       string           `json:"region"`
	StartedAt    time.Time        `json:"started_at"`
	DurationMs   float64          `json:"duration_ms"`
	Outcome      Outcome          `json:"outcome"`
	// StatusCode is the upstream HTTP status, when there was one.
	StatusCode int `json:"status_code,omitempty"`
	// ErrorKind classifies a failure (timeout, unreachable, function_error,
	// rejected, throttled, unavailable, too_large, credentials, canceled,
	// circuit_open, no_invoker); Error says it in words.
	ErrorKind string `json:"error_kind,omitempty"`
	Error     string `json:"error,omitempty"`
	ColdStart *bool  `json:"cold_start,omitempty"`
	// RequestID is the provider's ID of the call, when it gives one.
	RequestID string `json:"request_id,omitempty"`
	// CostUSD is what the platform bills for this attempt at list price;
	// nil when it was not billed (never reached the function) or could not
	// be priced.
	CostUSD          *float64 `json:"cost_usd,omitempty"`
	BilledDurationMs float64  `json:"billed_duration_ms,omitempty"`
	BilledMemoryMB   int      `json:"billed_memory_mb,omitempty"`
	RateCardVersion  string   `json:"rate_card_version,omitempty"`
	CostSource       string   `json:"cost_source,omitempty"`
}

// Error kinds the predictions read (the cloud adapters' names).
const (
	kindFunctionError = "function_error"
	kindTooLarge      = "too_large"
	kindCanceled      = "canceled"
	kindNoInvoker     = "no_invoker"
)

// Sent reports whether the attempt reached a provider and took time: not
// skipped for an open circuit, not without an invoker, not cut short by the
// caller going away. Only sent attempts say something about a deployment.
func (a Attempt) Sent() bool {
	return a.Outcome != Skipped && a.ErrorKind != kindNoInvoker && a.ErrorKind != kindCanceled && a.DurationMs > 0
}

// Ran reports whether the function ran: it answered, or failed in its own
// code, or answered too much. The other failures (unreachable, timeout,
// throttled ...) are the platform's, and count against its reliability.
func (a Attempt) Ran() bool {
	return a.Outcome == OK || a.ErrorKind == kindFunctionError || a.ErrorKind == kindTooLarge
}

// Weekday returns t's day of week with Monday as 0.
func Weekday(t time.Time) int { return (int(t.UTC().Weekday()) + 6) % 7 }

// Query selects invocation records, newest first.
type Query struct {
	// Function limits the listing to one function; empty lists all.
	Function string
	// KeyID limits the listing to calls made with one API key.
	KeyID string
	// Since (inclusive) and Until (exclusive) bound the timestamp.
	Since, Until time.Time
	Limit        int
	// After continues a listing after this position (from a cursor).
	After *Position
}

// Page is one page of a listing. Next is empty on the last page.
type Page struct {
	Items []Record
	Next  *Position
}

// Listing limits.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Position is where a listing stopped: the last record returned.
type Position struct {
	Function string    `json:"f"`
	Time     time.Time `json:"t"`
	ID       string    `json:"i"`
}

// PositionOf returns the position of r.
func PositionOf(r Record) Position {
	return Position{Function: r.FunctionName, Time: r.Timestamp, ID: r.ID}
}

// SortKey orders records by time and then ID as plain byte strings, which is
// what both stores index on.
func (p Position) SortKey() string {
	return SortKeyTime(p.Time) + "#" + p.ID
}

// SortKeyTime is the fixed-width, lexically ordered form of t.
func SortKeyTime(t time.Time) string {
	return t.UTC().Format("20060102T150405.000000000Z")
}

// idRE is what a record ID may be: FISO makes ULIDs; stores accept any
// short, printable ID without separators.
var idRE = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// EncodeCursor makes an opaque cursor of p.
func EncodeCursor(p Position) string {
	b, _ := json.Marshal(p) // a struct of strings and a time cannot fail to encode
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(s string) (Position, error) {
	bad := fault.Invalid("cursor", "not a cursor returned by this API; start the listing again without it")
	if len(s) > 1024 {
		return Position{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Position{}, bad
	}
	var p Position
	if err := json.Unmarshal(b, &p); err != nil {
		return Position{}, bad
	}
	if catalog.NameProblem("function", p.Function) != "" || !idRE.MatchString(p.ID) || p.Time.IsZero() {
		return Position{}, bad
	}
	return p, nil
}
