package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/orchestrator"
)

// Problem is an RFC 9457 problem detail. The extension members carry what a
// caller needs to act: every invalid field, or every failed attempt.
type Problem struct {
	Type         string               `json:"type"`
	Title        string               `json:"title"`
	Status       int                  `json:"status"`
	Detail       string               `json:"detail,omitempty"`
	Instance     string               `json:"instance,omitempty"`
	RequestID    string               `json:"request_id,omitempty"`
	Errors       []fault.Violation    `json:"errors,omitempty"`
	InvocationID string               `json:"invocation_id,omitempty"`
	Attempts     []invocation.Attempt `json:"attempts,omitempty"`
	// Budget is the budget that refused a call (402).
	Budget *budgetProblem `json:"budget,omitempty"`
}

// budgetProblem names the exhausted budget and its figures.
type budgetProblem struct {
	Scope       budget.Scope `json:"scope"`
	ID          string       `json:"id"`
	Period      string       `json:"period"`
	PeriodEnd   time.Time    `json:"period_end"`
	LimitUSD    float64      `json:"limit_usd"`
	SpentUSD    float64      `json:"spent_usd"`
	ReservedUSD float64      `json:"reserved_usd"`
	AmountUSD   float64      `json:"amount_usd"`
}

// ProblemTypePrefix starts every problem type URI; the README lists them.
const ProblemTypePrefix = "urn:fiso:problem:"

// problem kinds: type suffix and title for each status FISO answers with.
var problemKinds = map[int][2]string{
	http.StatusBadRequest:            {"validation", "Invalid request"},
	http.StatusUnauthorized:          {"unauthorized", "Missing or invalid API key"},
	http.StatusForbidden:             {"forbidden", "Not allowed for this API key"},
	http.StatusNotFound:              {"not-found", "Not found"},
	http.StatusMethodNotAllowed:      {"method-not-allowed", "Method not allowed"},
	http.StatusPaymentRequired:       {"budget-exceeded", "A budget is exhausted"},
	http.StatusConflict:              {"conflict", "Conflict with the current state"},
	http.StatusRequestEntityTooLarge: {"payload-too-large", "Request body too large"},
	http.StatusUnsupportedMediaType:  {"unsupported-media-type", "Unsupported media type"},
	http.StatusInternalServerError:   {"internal", "Internal error"},
	http.StatusBadGateway:            {"all-providers-failed", "Every deployment failed"},
	http.StatusGatewayTimeout:        {"upstream-timeout", "Every deployment timed out"},
	http.StatusServiceUnavailable:    {"unavailable", "Temporarily unavailable"},
}

func newProblem(r *http.Request, status int, detail string) *Problem {
	kind, ok := problemKinds[status]
	if !ok {
		kind = [2]string{"http-" + strconv.Itoa(status), http.StatusText(status)}
	}
	return &Problem{
		Type:      ProblemTypePrefix + kind[0],
		Title:     kind[1],
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: requestID(r.Context()),
	}
}

// httpError is an error a handler returns to answer with a given status.
type httpError struct {
	status int
	detail string
}

func (e *httpError) Error() string { return e.detail }

func errStatus(status int, detail string) error { return &httpError{status: status, detail: detail} }

// writeError is the one place where errors become responses. 4xx details are
// the fault's own (specific and safe); a 5xx detail is generic and the cause
// goes to the log under the request ID.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		he  *httpError
		fe  *fault.Error
		afe *orchestrator.AllFailedError
		mbe *http.MaxBytesError
		p   *Problem
	)
	var ee *budget.ExceededError
	switch {
	case errors.As(err, &ee):
		p = newProblem(r, http.StatusPaymentRequired, ee.Error())
		p.Budget = &budgetProblem{Scope: ee.Budget.Scope, ID: ee.Budget.ID, Period: ee.Period, PeriodEnd: ee.PeriodEnd,
			LimitUSD: ee.LimitUSD, SpentUSD: ee.SpentUSD, ReservedUSD: ee.ReservedUSD, AmountUSD: ee.AmountUSD}
		// Calls in flight release what they hold beyond their cost within
		// a request's time; with none, only the next period has room.
		wait := ee.PeriodEnd.Sub(s.opts.Now())
		if ee.ReservedUSD > 0 {
			wait = min(wait, s.opts.RequestTimeout)
		}
		if wait > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64(wait.Seconds())+1, 10))
		}
	case errors.As(err, &afe):
		status := http.StatusBadGateway
		detail := "every deployment of function " + strconv.Quote(afe.Record.FunctionName) + " failed; see attempts"
		if afe.TimedOut {
			status = http.StatusGatewayTimeout
			detail = "no deployment of function " + strconv.Quote(afe.Record.FunctionName) + " answered in time; see attempts"
		}
		p = newProblem(r, status, detail)
		p.InvocationID = afe.Record.ID
		p.Attempts = attemptsFor(caller(r.Context()), afe.Record.Attempts)
		w.Header().Set(HeaderInvocationID, afe.Record.ID)
		if c := afe.Record.CostUSD; c != nil {
			w.Header().Set(HeaderCostUSD, formatUSD(*c)) // failed attempts can be billed
		}
	case errors.As(err, &mbe):
		p = newProblem(r, http.StatusRequestEntityTooLarge, "the request body is over "+strconv.FormatInt(mbe.Limit, 10)+" bytes (AWS Lambda's synchronous payload limit)")
	case errors.As(err, &he):
		p = newProblem(r, he.status, he.detail)
	case errors.As(err, &fe):
		p = newProblem(r, faultStatus(fe.Kind), fe.Detail)
		p.Errors = fe.Violations
	default:
		s.opts.Logger.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", requestID(r.Context())), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("error", err))
		p = newProblem(r, http.StatusInternalServerError, "FISO could not complete the request; the cause is logged under request_id")
	}
	writeProblem(w, p)
}

func faultStatus(kind error) int {
	switch kind {
	case fault.ErrNotFound:
		return http.StatusNotFound
	case fault.ErrConflict:
		return http.StatusConflict
	case fault.ErrForbidden:
		return http.StatusForbidden
	case fault.ErrInvalid:
		return http.StatusBadRequest
	case fault.ErrUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fiso"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// attemptsFor shows an admin every attempt's error in full; an invoker sees
// the provider, outcome, status and error kind, not the words, which can name
// internal endpoints, roles and variables.
func attemptsFor(k apikey.Key, as []invocation.Attempt) []invocation.Attempt {
	if k.Role == apikey.Admin {
		return as
	}
	out := make([]invocation.Attempt, len(as))
	for i, a := range as {
		a.Error = ""
		out[i] = a
	}
	return out
}
