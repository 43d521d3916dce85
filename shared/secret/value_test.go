package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/secret"
)

const plain = "s3cr3t-function-key-Zx9"

type holder struct {
	Exported secret.Value
	hidden   secret.Value
	Ptr      *secret.Value
}

func TestValueRedactsEveryPrintingPath(t *testing.T) {
	v := secret.NewValue(plain)
	h := holder{Exported: v, hidden: v, Ptr: &v}
	tests := []struct {
		name string
		out  func() (string, error)
	}{
		{"%v", func() (string, error) { return fmt.Sprintf("%v", v), nil }},
		{"%+v", func() (string, error) { return fmt.Sprintf("%+v", v), nil }},
		{"%#v", func() (string, error) { return fmt.Sprintf("%#v", v), nil }},
		{"%s", func() (string, error) { return fmt.Sprintf("%s", v), nil }},
		{"%q", func() (string, error) { return fmt.Sprintf("%q", v), nil }},
		{"%x", func() (string, error) { return fmt.Sprintf("%x", v), nil }},
		{"%d", func() (string, error) { return fmt.Sprintf("%d", v), nil }},
		{"%30s", func() (string, error) { return fmt.Sprintf("%30s", v), nil }},
		{"pointer %v", func() (string, error) { return fmt.Sprintf("%v", &v), nil }},
		{"Println", func() (string, error) { return fmt.Sprintln(v), nil }},
		{"struct %v", func() (string, error) { return fmt.Sprintf("%v", h), nil }},
		{"struct %+v", func() (string, error) { return fmt.Sprintf("%+v", h), nil }},
		{"struct %#v", func() (string, error) { return fmt.Sprintf("%#v", h), nil }},
		{"slice %v", func() (string, error) { return fmt.Sprintf("%v", []secret.Value{v}), nil }},
		{"map %v", func() (string, error) { return fmt.Sprintf("%v", map[string]secret.Value{"k": v}), nil }},
		{"String", func() (string, error) { return v.String(), nil }},
		{"GoString", func() (string, error) { return v.GoString(), nil }},
		{"error wrap", func() (string, error) { return fmt.Errorf("call with %v", v).Error(), nil }},
		{"json", func() (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		}},
		{"json struct", func() (string, error) {
			b, err := json.Marshal(h)
			return string(b), err
		}},
		{"text", func() (string, error) {
			b, err := v.MarshalText()
			return string(b), err
		}},
		{"slog json", func() (string, error) {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("call", "key", v, "holder", h)
			return buf.String(), nil
		}},
		{"slog text", func() (string, error) {
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("call", "key", v, slog.Any("ptr", &v))
			return buf.String(), nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.out()
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if strings.Contains(got, plain) {
				t.Fatalf("output %q contains the secret", got)
			}
			if !strings.Contains(got, "[redacted]") && !strings.Contains(got, "0x") {
				t.Fatalf("output %q shows neither the redaction nor an opaque pointer", got)
			}
		})
	}
}

func TestValueReveal(t *testing.T) {
	tests := []struct {
		name     string
		v        secret.Value
		want     string
		wantZero bool
	}{
		{"set", secret.NewValue(plain), plain, false},
		{"empty", secret.NewValue(""), "", true},
		{"zero value", secret.Value{}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.v.Reveal(); got != tc.want {
				t.Errorf("Reveal() = %q, want %q", got, tc.want)
			}
			if got := tc.v.IsZero(); got != tc.wantZero {
				t.Errorf("IsZero() = %v, want %v", got, tc.wantZero)
			}
		})
	}
}
