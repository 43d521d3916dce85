// Package cloud is what every cloud adapter (cloud/awslambda, cloud/azurefunc,
// cloud/gcpfunc) answers when FISO calls a deployment: a response or an
// *Error saying, without secrets, why the attempt failed. When the platform
// did answer a failed attempt (a Lambda FunctionError, an HTTP 5xx), the
// adapter returns that Response alongside the error, for its metadata.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// MaxResponseBytes is the default cap on a function's response: AWS Lambda's
// synchronous payload limit, so every cloud is held to the same bound.
const MaxResponseBytes = 6 << 20

// Response is a function's answer.
type Response struct {
	Body        []byte
	ContentType string
	// StatusCode is the HTTP status the function answered (200 for Lambda).
	StatusCode int
	// ColdStart is set only when the provider reports it.
	ColdStart *bool
	// RequestID is the provider's ID of the call, when it gives one.
	RequestID string
	// BilledDurationMs, MemorySizeMB and MaxMemoryUsedMB are what the
	// provider reports for billing (AWS's REPORT line); 0 when it reports
	// nothing.
	BilledDurationMs float64
	MemorySizeMB     int
	MaxMemoryUsedMB  int
}

// Kind classifies a failed attempt.
type Kind string

// Failure kinds.
const (
	// Timeout: the attempt's deadline passed.
	Timeout Kind = "timeout"
	// Unreachable: no connection (refused, DNS, TLS).
	Unreachable Kind = "unreachable"
	// FunctionError: the function ran and failed (Lambda FunctionError, HTTP
	// 500 and other 5xx but those of Unavailable).
	FunctionError Kind = "function_error"
	// Unavailable: the platform's front end answered that the function cannot
	// be reached (HTTP 502, 503, 504; Lambda service errors).
	Unavailable Kind = "unavailable"
	// Canceled: the caller went away; it says nothing about the target.
	Canceled Kind = "canceled"
	// Rejected: the platform refused FISO's call (401, 403, 404 ...): a
	// configuration problem on FISO's side or the target's.
	Rejected Kind = "rejected"
	// Throttled: the platform answered 429 or a throttling error.
	Throttled Kind = "throttled"
	// TooLarge: the response exceeded the cap.
	TooLarge Kind = "too_large"
	// Credentials: the secret for the call could not be obtained.
	Credentials Kind = "credentials"
)

// Error is a failed attempt. Detail is safe to show to the caller and to log.
type Error struct {
	Kind       Kind
	StatusCode int
	Detail     string
	Err        error
}

func (e *Error) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s (HTTP %d): %s", e.Kind, e.StatusCode, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Detail)
}

func (e *Error) Unwrap() error { return e.Err }

// Classify turns a transport error into an *Error: deadline and network
// timeouts are Timeout, other network errors Unreachable. An *Error passes
// through unchanged. detail says what was attempted ("POST https://..."); the
// transport's own message is appended, so it must not carry secrets, which
// holds for FISO's targets (URLs with credentials are refused at validation).
func Classify(err error, detail string) *Error {
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Kind: Canceled, Detail: detail + ": canceled", Err: err}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Kind: Timeout, Detail: detail + ": no answer before the attempt's deadline", Err: err}
	}
	return &Error{Kind: Unreachable, Detail: detail + ": " + err.Error(), Err: err}
}

// KindOf returns the kind of a failed attempt's error; Unreachable when it is
// not an *Error.
func KindOf(err error) Kind {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Kind
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	}
	return Unreachable
}
