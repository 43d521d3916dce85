package embedded

import (
	"strings"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// The sentences below are what API users read; store/dynamo words the same
// situations the same way.

// checkVersion applies the expected-version rule of store.AnyVersion.
func checkVersion(kind, name string, found bool, stored, expect int64) error {
	switch {
	case expect == store.AnyVersion:
		return nil
	case !found:
		return fault.Conflict("%s %q does not exist, so it is not at version %d; create it without an expected version", kind, name, expect)
	case stored != expect:
		return fault.Conflict("%s %q was changed by another writer: stored version %d, expected %d; read it again and retry", kind, name, stored, expect)
	}
	return nil
}

func notFound(kind, name string) error {
	return fault.NotFound("%s %q does not exist", kind, name)
}

// checkName rejects names a store cannot key on. Domain validation (length,
// characters) happens before the store; this only guards the key layout.
func checkName(field, name string) error {
	switch {
	case name == "":
		return fault.Invalid(field, "is required")
	case strings.ContainsRune(name, 0):
		return fault.Invalid(field, "must not contain NUL characters")
	}
	return nil
}
