package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
)

// functionBody is what PUT /v1/functions/{name} accepts: the representation
// GET returns, so a read-modify-write round trip works. The read-only
// fields are accepted and ignored.
type functionBody struct {
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Deployments []catalog.Deployment `json:"deployments"`
	// Version, when set, makes the write conditional on the stored version.
	Version      int64           `json:"version"`
	ActivePolicy json.RawMessage `json:"active_policy"`
	CreatedAt    json.RawMessage `json:"created_at"`
	UpdatedAt    json.RawMessage `json:"updated_at"`
}

type policyBody struct {
	Name             string              `json:"name"`
	Function         string              `json:"function"`
	Strategy         policy.Strategy     `json:"strategy"`
	DefaultProvider  catalog.Provider    `json:"default_provider"`
	DefaultTarget    string              `json:"default_target"`
	Failover         []catalog.Provider  `json:"failover"`
	SLOP95Ms         float64             `json:"slo_p95_ms"`
	CostCapUSD       float64             `json:"cost_cap_usd"`
	Weights          *policy.Weights     `json:"weights"`
	Rules            []policy.Rule       `json:"rules"`
	AllowedProviders []catalog.Provider  `json:"allowed_providers"`
	AllowedRegions   []string            `json:"allowed_regions"`
	Split            *policy.SplitConfig `json:"split"`
	Exploration      *float64            `json:"exploration"`
	Version          int64               `json:"version"`
	IsActive         json.RawMessage     `json:"is_active"`
	CreatedAt        json.RawMessage     `json:"created_at"`
	UpdatedAt        json.RawMessage     `json:"updated_at"`
}

func pathName(r *http.Request, kind string) (string, error) {
	name := r.PathValue("name")
	if err := catalog.CheckName(kind, name); err != nil {
		return "", err
	}
	return name, nil
}

// bodyName checks that a name in the body, if any, is the one in the path.
func bodyName(inBody, inPath, kind string) error {
	if inBody != "" && inBody != inPath {
		return fault.Invalid("name", "the body names %s %q but the path names %q; they must match (or leave name out of the body)", kind, inBody, inPath)
	}
	return nil
}

func checkVersion(v int64) error {
	if v < 0 {
		return fault.Invalid("version", "must be a stored version (1 or more) or left out")
	}
	return nil
}

// expectedVersion combines the body's version with an If-Match header
// carrying a version ETag ("3" or W/"3"); they must agree when both are set.
func expectedVersion(r *http.Request, body int64) (int64, error) {
	if err := checkVersion(body); err != nil {
		return 0, err
	}
	h := r.Header.Get("If-Match")
	if h == "" || h == "*" {
		return body, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v < 1 {
		return 0, fault.Invalid("If-Match", "must be an ETag this API returned, like \"3\"")
	}
	if body != store.AnyVersion && body != v {
		return 0, fault.Invalid("version", "the body says version %d but If-Match says %d", body, v)
	}
	return v, nil
}

func setETag(w http.ResponseWriter, version int64) {
	w.Header().Set("ETag", `"`+strconv.FormatInt(version, 10)+`"`)
}

// getNamed serves GET of a versioned item named in the path.
func getNamed[T any](w http.ResponseWriter, r *http.Request, kind string,
	get func(context.Context, string) (T, error), version func(T) int64) error {
	name, err := pathName(r, kind)
	if err != nil {
		return err
	}
	v, err := get(r.Context(), name)
	if err != nil {
		return err
	}
	setETag(w, version(v))
	return writeJSON(w, http.StatusOK, v)
}

// writePut answers a PUT: 201 with Location for a new item, else 200.
func writePut(w http.ResponseWriter, location string, version int64, created bool, v any) error {
	setETag(w, version)
	if created {
		w.Header().Set("Location", location)
		return writeJSON(w, http.StatusCreated, v)
	}
	return writeJSON(w, http.StatusOK, v)
}

// deleteNamed serves DELETE of an item named in the path, honouring If-Match.
func deleteNamed(w http.ResponseWriter, r *http.Request, kind string, del func(context.Context, string, int64) error) error {
	name, err := pathName(r, kind)
	if err != nil {
		return err
	}
	expect, err := expectedVersion(r, store.AnyVersion)
	if err != nil {
		return err
	}
	if err := del(r.Context(), name, expect); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listFunctions(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.store.ListFunctions(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(fs)})
}

func (s *Server) getFunction(w http.ResponseWriter, r *http.Request) error {
	return getNamed(w, r, "function", s.store.GetFunction, func(f catalog.Function) int64 { return f.Version })
}

func (s *Server) putFunction(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "function")
	if err != nil {
		return err
	}
	var b functionBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := bodyName(b.Name, name, "function"); err != nil {
		return err
	}
	expect, err := expectedVersion(r, b.Version)
	if err != nil {
		return err
	}
	f := catalog.Function{Name: name, Description: b.Description, Deployments: b.Deployments, UpdatedAt: s.opts.Now().UTC()}
	f.Normalize()
	if err := f.Validate(); err != nil {
		return err
	}
	stored, created, err := s.store.PutFunction(r.Context(), f, expect)
	if err != nil {
		return err
	}
	return writePut(w, "/v1/functions/"+name, stored.Version, created, stored)
}

func (s *Server) deleteFunction(w http.ResponseWriter, r *http.Request) error {
	return deleteNamed(w, r, "function", s.store.DeleteFunction)
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.store.ListPolicies(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ps)})
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) error {
	return getNamed(w, r, "policy", s.store.GetPolicy, func(p policy.Policy) int64 { return p.Version })
}

func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "policy")
	if err != nil {
		return err
	}
	var b policyBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := bodyName(b.Name, name, "policy"); err != nil {
		return err
	}
	expect, err := expectedVersion(r, b.Version)
	if err != nil {
		return err
	}
	p := policy.Policy{
		Name: name, Function: b.Function, Strategy: b.Strategy, DefaultProvider: b.DefaultProvider,
		DefaultTarget: b.DefaultTarget, Failover: b.Failover, SLOP95Ms: b.SLOP95Ms, CostCapUSD: b.CostCapUSD,
		Weights: b.Weights, Rules: b.Rules, AllowedProviders: b.AllowedProviders, AllowedRegions: b.AllowedRegions,
		Split: b.Split, Exploration: b.Exploration, UpdatedAt: s.opts.Now().UTC(),
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.routable(r, p); err != nil {
		return err
	}
	stored, created, err := s.store.PutPolicy(r.Context(), p, expect)
	if err != nil {
		return err
	}
	return writePut(w, "/v1/policies/"+name, stored.Version, created, stored)
}

// routable checks a policy against the current definition of its function.
func (s *Server) routable(r *http.Request, p policy.Policy) error {
	f, err := s.store.GetFunction(r.Context(), p.Function)
	if isNotFound(err) {
		return fault.Invalid("function", "function %q does not exist; create it with PUT /v1/functions/%s first", p.Function, p.Function)
	}
	if err != nil {
		return err
	}
	return p.CheckAgainst(f)
}

func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	return deleteNamed(w, r, "policy", s.store.DeletePolicy)
}

func (s *Server) activatePolicy(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "policy")
	if err != nil {
		return err
	}
	p, err := s.store.GetPolicy(r.Context(), name)
	if err != nil {
		return err
	}
	// The function may have changed since the policy was written.
	if err := s.routable(r, p); errors.Is(err, fault.ErrInvalid) {
		return fault.Conflict("policy %q cannot route function %q as it is now: %s", p.Name, p.Function, err.Error())
	} else if err != nil {
		return err
	}
	p, err = s.store.ActivatePolicy(r.Context(), name, s.opts.Now().UTC())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) deactivatePolicy(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "policy")
	if err != nil {
		return err
	}
	p, err := s.store.DeactivatePolicy(r.Context(), name, s.opts.Now().UTC())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
