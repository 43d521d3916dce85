package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/fiso-dev/fiso/shared/fault"
)

// writeJSON answers with v. Once the status is out, a failed write means the
// caller is gone, so there is nothing left to report to it.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	return nil
}

// nonNil makes empty listings encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func isNotFound(err error) bool { return errors.Is(err, fault.ErrNotFound) }
