package apikey

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/fault"
)

func TestGenerate(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	plain, k, err := Generate(bytes.NewReader(bytes.Repeat([]byte{7}, 32)), "ci", Invoker, "payments", now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, Prefix) || len(plain) != len(Prefix)+43 {
		t.Errorf("key %q: want %s plus 43 base64url characters", plain, Prefix)
	}
	if k.Hash != Hash(plain) || k.ID != k.Hash[:16] || k.Role != Invoker || k.Team != "payments" || !k.CreatedAt.Equal(now) {
		t.Errorf("stored form %+v does not match the key", k)
	}
	if strings.Contains(k.Hash, plain) || k.Hash == plain {
		t.Error("the stored form holds the key")
	}
	if !k.Matches(plain) || k.Matches(plain+"x") || k.Matches("") {
		t.Error("Matches accepts the wrong key or rejects the right one")
	}
	if _, _, err := Generate(bytes.NewReader(nil), "ci", Invoker, "", now); err == nil {
		t.Error("Generate with no entropy succeeded")
	}
}

func TestNewValidates(t *testing.T) {
	long := strings.Repeat("k", MinLength)
	tests := []struct {
		name          string
		plain, n      string
		role          Role
		team          string
		wantViolation string
	}{
		{"ok", long, "ops", Admin, "platform", ""},
		{"short key", "short", "ops", Admin, "", "key"},
		{"bad name", long, "", Admin, "", "name"},
		{"bad role", long, "ops", "root", "", "role"},
		{"bad team", long, "ops", Invoker, "a team", "team"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.plain, tc.n, tc.role, tc.team, time.Now())
			if tc.wantViolation == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *fault.Error
			if !errors.As(err, &fe) || len(fe.Violations) != 1 || fe.Violations[0].Field != tc.wantViolation {
				t.Fatalf("New = %v, want one violation of %s", err, tc.wantViolation)
			}
		})
	}
}
