package httpapi

import (
	"net/http"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/fault"
)

type keyBody struct {
	Name string      `json:"name"`
	Role apikey.Role `json:"role"`
	Team string      `json:"team"`
}

// createdKey is the only response that ever carries a key in plain text.
type createdKey struct {
	apikey.Key
	Secret string `json:"key"`
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := s.store.ListKeys(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ks)})
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var b keyBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	plaintext, k, err := apikey.Generate(s.opts.Random, b.Name, b.Role, b.Team, s.opts.Now())
	if err != nil {
		return err
	}
	if err := s.store.PutKey(r.Context(), k); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, createdKey{Key: k, Secret: plaintext})
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !keyIDRE.MatchString(id) {
		return fault.Invalid("id", "%q is not a key ID (16 hex digits)", id)
	}
	if err := s.store.DeleteKey(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
