package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/orchestrator"
)

// Response headers of an invocation.
const (
	HeaderProvider     = "X-Fiso-Provider"
	HeaderRegion       = "X-Fiso-Region"
	HeaderDeployment   = "X-Fiso-Deployment"
	HeaderInvocationID = "X-Fiso-Invocation-Id"
	HeaderDurationMs   = "X-Fiso-Duration-Ms"
	HeaderAttempts     = "X-Fiso-Attempts"
	HeaderColdStart    = "X-Fiso-Cold-Start"
	// HeaderUserRegion is an optional request header naming the caller's
	// region, recorded as user_region.
	HeaderUserRegion = "X-Fiso-User-Region"
	// HeaderTags is an optional request header of caller tags
	// (env=prod,app=checkout; invocation.ParseTags), recorded as tags.
	HeaderTags = "X-Fiso-Tags"
)

var userRegionRE = regexp.MustCompile(`^[a-z]{2,12}(-[a-z0-9]{1,16}){0,3}$`)

// orchestrate serves the seed's POST /api/v1/orchestrate: the default
// function, the one of the most recently activated policy.
func (s *Server) orchestrate(w http.ResponseWriter, r *http.Request) error {
	return s.invoke(w, r, "")
}

// invokeFunction serves POST /v1/functions/{name}/invoke.
func (s *Server) invokeFunction(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "function")
	if err != nil {
		return err
	}
	return s.invoke(w, r, name)
}

// invoke passes the body to the function as its payload, unread beyond a
// JSON check: every cloud gets the same bytes, and AWS Lambda accepts only
// JSON.
func (s *Server) invoke(w http.ResponseWriter, r *http.Request, name string) error {
	if err := checkJSONContentType(r); err != nil {
		return err
	}
	payload, err := readBody(r)
	if err != nil {
		return err
	}
	if len(payload) > 0 && !json.Valid(payload) {
		return fault.Invalid("body", "the payload must be JSON (it is passed to the function as is, and AWS Lambda accepts only JSON)")
	}
	region := r.Header.Get(HeaderUserRegion)
	if region != "" && !userRegionRE.MatchString(region) {
		return fault.Invalid(HeaderUserRegion, "must be a region name such as eu-west-1 or westeurope")
	}
	// Repeated header lines are one comma-separated list (RFC 9110 5.3).
	tags, err := invocation.ParseTags(strings.Join(r.Header.Values(HeaderTags), ","))
	if err != nil {
		return fault.Invalid(HeaderTags, "%s", err.Error())
	}
	k := caller(r.Context())
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	res, err := s.orch.Invoke(ctx, orchestrator.Call{
		Function: name, Payload: payload, KeyID: k.ID, Team: k.Team, UserRegion: region, Tags: tags,
	})
	if err != nil {
		return err
	}
	rec, resp := res.Record, res.Response
	h := w.Header()
	h.Set(HeaderProvider, string(rec.Provider))
	h.Set(HeaderRegion, rec.Region)
	h.Set(HeaderDeployment, rec.DeploymentID)
	h.Set(HeaderInvocationID, rec.ID)
	h.Set(HeaderDurationMs, strconv.FormatFloat(rec.ExecutionTimeMs, 'f', 3, 64))
	h.Set(HeaderAttempts, strconv.Itoa(len(rec.Attempts)))
	if rec.ColdStart != nil {
		h.Set(HeaderColdStart, strconv.FormatBool(*rec.ColdStart))
	}
	if rec.CostUSD != nil {
		h.Set(HeaderCostUSD, formatUSD(*rec.CostUSD))
	}
	ct := resp.ContentType
	if ct == "" {
		ct = "application/json"
	}
	h.Set("Content-Type", ct)
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(resp.Body)
	return nil
}
