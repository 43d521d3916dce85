// Package fault is FISO's error vocabulary: the few kinds of failure that callers
// act on differently (not found, conflict, invalid input), carried as sentinels
// so that adapters can wrap them with context and the HTTP edge can map them to
// problem responses with errors.Is and errors.As.
package fault

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels. Wrap them (directly or through *Error) and test with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrInvalid   = errors.New("invalid input")
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable is a dependency FISO cannot do without for this
	// request (the budget counters) not answering: try again later.
	ErrUnavailable = errors.New("unavailable")
)

// Violation names one field that failed validation and why.
type Violation struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is a failure of one of the sentinel kinds with a detail that is safe
// to show to the caller (it never carries secrets or internal causes).
type Error struct {
	Kind       error
	Detail     string
	Violations []Violation
}

func (e *Error) Error() string { return e.Detail }

// Unwrap makes errors.Is(err, fault.ErrNotFound) and friends work.
func (e *Error) Unwrap() error { return e.Kind }

// NotFound reports a missing resource, e.g. NotFound("function %q does not exist", name).
func NotFound(format string, args ...any) error {
	return &Error{Kind: ErrNotFound, Detail: fmt.Sprintf(format, args...)}
}

// Conflict reports a write that clashes with the stored state.
func Conflict(format string, args ...any) error {
	return &Error{Kind: ErrConflict, Detail: fmt.Sprintf(format, args...)}
}

// Forbidden reports an authenticated caller acting beyond its role.
func Forbidden(format string, args ...any) error {
	return &Error{Kind: ErrForbidden, Detail: fmt.Sprintf(format, args...)}
}

// Unavailable reports a dependency that did not answer.
func Unavailable(format string, args ...any) error {
	return &Error{Kind: ErrUnavailable, Detail: fmt.Sprintf(format, args...)}
}

// Invalid reports a single invalid field.
func Invalid(field, format string, args ...any) error {
	v := Violation{Field: field, Reason: fmt.Sprintf(format, args...)}
	return &Error{Kind: ErrInvalid, Detail: v.String(), Violations: []Violation{v}}
}

func (v Violation) String() string {
	if v.Field == "" {
		return v.Reason
	}
	return v.Field + ": " + v.Reason
}

// Violations collects every problem of one input so a caller can fix them all
// in one round trip instead of one per request.
type Violations []Violation

// Add records a violation.
func (vs *Violations) Add(field, format string, args ...any) {
	*vs = append(*vs, Violation{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was recorded, else an *Error of kind ErrInvalid
// whose detail lists every violation.
func (vs Violations) Err() error {
	if len(vs) == 0 {
		return nil
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return &Error{Kind: ErrInvalid, Detail: strings.Join(parts, "; "), Violations: vs}
}
