// Package secret turns a deployment's credential reference (env:NAME or
// secretsmanager:ID) into the secret it names, and hands that secret around
// in a type that refuses to print itself. FISO's catalog stores only
// references; the function keys and service-account keys they name must never
// reach a log line, an error or an API response, so the only way to read a
// Value is to ask for it by name with Reveal.
package secret

import (
	"fmt"
	"log/slog"
)

// redacted is what every printing path of a Value shows.
const redacted = "[redacted]"

// Value is a secret. Printing it in any way (fmt verbs, JSON, slog, text
// marshalling) shows "[redacted]"; Reveal returns the secret itself.
//
// The secret sits behind a pointer so that even a struct that holds a Value in
// an unexported field, printed with %+v (where fmt cannot call methods), shows
// an address rather than the secret.
type Value struct {
	b *box
}

type box struct{ s string }

// NewValue wraps s. Adapters that obtain a secret by other means (and tests)
// use it to hand the secret on in redacting form.
func NewValue(s string) Value { return Value{b: &box{s: s}} }

// Reveal returns the secret. Call it only where the secret leaves FISO for
// the platform that asked for it (a request header, a signer).
func (v Value) Reveal() string {
	if v.b == nil {
		return ""
	}
	return v.b.s
}

// IsZero reports whether v holds no secret (or an empty one).
func (v Value) IsZero() bool { return v.Reveal() == "" }

// String implements fmt.Stringer.
func (Value) String() string { return redacted }

// GoString implements fmt.GoStringer, for %#v.
func (Value) GoString() string { return redacted }

// Format implements fmt.Formatter, so every verb, flag and width (%v, %+v,
// %#v, %s, %q, %x, %10s ...) shows the redaction and never the secret.
func (Value) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", redacted)
		return
	}
	fmt.Fprint(f, redacted)
}

// MarshalJSON implements json.Marshaler.
func (Value) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler (YAML, XML, slog's text
// handler when LogValue is bypassed).
func (Value) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue implements slog.LogValuer.
func (Value) LogValue() slog.Value { return slog.StringValue(redacted) }
