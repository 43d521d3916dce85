package httpapi

import (
	"net/http"

	"github.com/fiso-dev/fiso/shared/predict"
)

// listModels shows the champion model of each of a function's deployments.
func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "function")
	if err != nil {
		return err
	}
	if _, err := s.store.GetFunction(r.Context(), name); err != nil {
		return err
	}
	ms, err := s.store.CurrentModels(r.Context(), name)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []predict.Model{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": ms})
}
