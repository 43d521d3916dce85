package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/httpapi"
	"github.com/fiso-dev/fiso/shared/orchestrator"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/store/embedded"
)

const (
	adminKey   = "fiso_test_admin_key_0123456789abcdef"
	invokerKey = "fiso_test_invoker_key_0123456789abcd"
	otherKey   = "fiso_test_other_invoker_0123456789ab"
)

// echoInvoker answers for every deployment with its ID, or fails for IDs in down.
type echoInvoker struct{ down map[string]bool }

func (e echoInvoker) Invoke(_ context.Context, d catalog.Deployment, payload []byte) (cloud.Response, error) {
	if e.down[d.ID] {
		return cloud.Response{}, &cloud.Error{Kind: cloud.Unreachable, Detail: "connection refused"}
	}
	body, _ := json.Marshal(map[string]any{"deployment": d.ID, "received_bytes": len(payload)})
	return cloud.Response{Body: body, StatusCode: 200, ContentType: "application/json"}, nil
}

type env struct {
	t   testing.TB
	srv *httpapi.Server
	inv echoInvoker
}

func newEnv(t testing.TB) *env { return newEnvWith(t, nil) }

// newEnvWith lets a test add to the orchestrator's options (an estimator,
// a deterministic Rand) before the env is built on its store.
func newEnvWith(t testing.TB, configure func(st *embedded.Store, o *orchestrator.Options)) *env {
	t.Helper()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	for _, k := range []struct {
		plain, name string
		role        apikey.Role
		team        string
	}{{adminKey, "admin", apikey.Admin, ""}, {invokerKey, "checkout", apikey.Invoker, "payments"}, {otherKey, "other", apikey.Invoker, ""}} {
		key, err := apikey.New(k.plain, k.name, k.role, k.team, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutKey(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
	inv := echoInvoker{down: map[string]bool{}}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := orchestrator.Options{Logger: logger}
	if configure != nil {
		configure(st, &opts)
	}
	orch := orchestrator.New(st, st, route.NewRouter(nil), map[catalog.Provider]orchestrator.Invoker{
		catalog.AWS: inv, catalog.Azure: inv, catalog.GCP: inv,
	}, opts)
	e := &env{t: t, srv: httpapi.New(st, orch, httpapi.Options{Logger: logger, Prices: pricebook.New(st, time.Minute, nil)}), inv: inv}
	e.mustDo("PUT", "/v1/functions/sample", adminKey, sampleFunction, http.StatusCreated)
	e.mustDo("PUT", "/v1/policies/saver", adminKey, `{"function":"sample","default_provider":"aws","failover":["gcp"]}`, http.StatusCreated)
	e.mustDo("POST", "/v1/policies/saver/activate", adminKey, "", http.StatusOK)
	return e
}

const sampleFunction = `{
  "description": "sample",
  "deployments": [
    {"provider": "aws", "region": "us-east-1", "target": "arn:aws:lambda:us-east-1:123456789012:function:fiso-sample"},
    {"provider": "gcp", "region": "us-central1", "target": "https://us-central1-p.cloudfunctions.net/fiso-sample"},
    {"provider": "azure", "region": "eastus", "target": "https://fiso-sample.azurewebsites.net/api/sample", "credential_ref": "env:FISO_SECRET_AZ_KEY"}
  ]
}`

type request struct {
	method, path, key, body string
	header                  map[string]string
}

func (e *env) do(r request) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	return w
}

func (e *env) mustDo(method, path, key, body string, want int) *httptest.ResponseRecorder {
	e.t.Helper()
	w := e.do(request{method: method, path: path, key: key, body: body})
	if w.Code != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, w.Code, w.Body.String(), want)
	}
	return w
}

type problem struct {
	Type, Title, Detail, Instance string
	Status                        int
	RequestID                     string `json:"request_id"`
	Errors                        []struct{ Field, Reason string }
	Attempts                      []struct {
		Provider, Outcome, Error string
		ErrorKind                string `json:"error_kind"`
	}
}

func decodeProblem(t testing.TB, w *httptest.ResponseRecorder) problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, w.Body.String())
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", w.Body.String(), err)
	}
	if p.Status != w.Code || !strings.HasPrefix(p.Type, httpapi.ProblemTypePrefix) || p.Title == "" || p.Detail == "" || p.RequestID == "" {
		t.Errorf("problem %+v is incomplete for status %d", p, w.Code)
	}
	return p
}

func TestBadInputsAreClearProblems(t *testing.T) {
	e := newEnv(t)
	big := `{"pad":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`
	tests := []struct {
		name   string
		req    request
		status int
		detail string // substring of the detail
		field  string // a field named in errors[], when set
	}{
		{"malformed json", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `{"deployments": [`}, 400, "malformed JSON", ""},
		{"syntax error offset", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `{"deployments": ]}`}, 400, "byte", ""},
		{"unknown field", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `{"deployments": [], "colour": 1}`}, 400, "unknown field \"colour\"", "colour"},
		{"unknown nested field", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `{"deployments": [{"provider":"aws","secret":"x"}]}`}, 400, "unknown field \"secret\"", ""},
		{"wrong type", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `{"deployments": "aws"}`}, 400, "must be an array", "deployments"},
		{"not an object", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `[]`}, 400, "JSON object", ""},
		{"empty body", request{method: "PUT", path: "/v1/functions/x", key: adminKey}, 400, "empty", ""},
		{"two objects", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `{} {}`}, 400, "single JSON object", ""},
		{"invalid path name", request{method: "GET", path: "/v1/functions/-x", key: adminKey}, 400, "function name", "name"},
		{"name mismatch", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `{"name":"y","deployments":[]}`}, 400, "must match", "name"},
		{"invalid target url", request{method: "PUT", path: "/v1/functions/x", key: adminKey,
			body: `{"deployments":[{"provider":"gcp","region":"us-central1","target":"ftp://x"}]}`}, 400, "https", "deployments[0].target"},
		{"secret in url", request{method: "PUT", path: "/v1/functions/x", key: adminKey,
			body: `{"deployments":[{"provider":"azure","region":"eastus","target":"https://a.azurewebsites.net/api/s?code=k"}]}`}, 400, "credential_ref", "deployments[0].target"},
		{"negative version", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `{"version":-1,"deployments":[]}`}, 400, "version", "version"},
		{"bad if-match", request{method: "DELETE", path: "/v1/functions/sample", key: adminKey, header: map[string]string{"If-Match": "abc"}}, 400, "ETag", "If-Match"},
		{"text content type", request{method: "PUT", path: "/v1/functions/x", key: adminKey, body: `{}`, header: map[string]string{"Content-Type": "text/plain"}}, 415, "not JSON", ""},
		{"too large", request{method: "POST", path: "/v1/functions/sample/invoke", key: adminKey, body: big}, 413, "bytes", ""},
		{"no key", request{method: "GET", path: "/v1/functions"}, 401, "Authorization: Bearer", ""},
		{"wrong scheme", request{method: "GET", path: "/v1/functions", header: map[string]string{"Authorization": "Basic abc"}}, 401, "Bearer", ""},
		{"unknown key", request{method: "GET", path: "/v1/functions", key: "fiso_not_a_key_at_all_000000000"}, 401, "not valid", ""},
		{"invoker on admin route", request{method: "GET", path: "/v1/functions", key: invokerKey}, 403, "admin key", ""},
		{"unknown route", request{method: "GET", path: "/v2/nothing", key: adminKey}, 404, "no such route", ""},
		{"wrong method", request{method: "PATCH", path: "/v1/functions/sample", key: adminKey}, 405, "not allowed", ""},
		{"unknown function", request{method: "POST", path: "/v1/functions/nope/invoke", key: invokerKey, body: `{}`}, 404, `"nope"`, ""},
		{"non-json payload", request{method: "POST", path: "/v1/functions/sample/invoke", key: invokerKey, body: `hello`}, 400, "must be JSON", "body"},
		{"bad user region", request{method: "POST", path: "/v1/functions/sample/invoke", key: invokerKey, body: `{}`, header: map[string]string{"X-Fiso-User-Region": "Mars Base 1"}}, 400, "region", "X-Fiso-User-Region"},
		{"bad since", request{method: "GET", path: "/v1/invocations?since=yesterday", key: adminKey}, 400, "RFC 3339", "since"},
		{"since after until", request{method: "GET", path: "/v1/invocations?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", key: adminKey}, 400, "before until", "since"},
		{"unfiltered window too wide", request{method: "GET", path: "/v1/invocations?since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z", key: adminKey}, 400, "31 days", "since"},
		{"bad limit", request{method: "GET", path: "/v1/invocations?limit=0", key: adminKey}, 400, "1 to 1000", "limit"},
		{"bad cursor", request{method: "GET", path: "/v1/invocations?cursor=!!!", key: adminKey}, 400, "cursor", "cursor"},
		{"unknown parameter", request{method: "GET", path: "/v1/invocations?fn=sample", key: adminKey}, 400, "unknown query parameter", "fn"},
		{"bad invocation id", request{method: "GET", path: "/v1/invocations/xyz", key: adminKey}, 400, "invocation ID", "id"},
		{"someone else's key_id", request{method: "GET", path: "/v1/invocations?key_id=0123456789abcdef", key: invokerKey}, 403, "own", ""},
		{"stale version", request{method: "PUT", path: "/v1/functions/sample", key: adminKey, body: `{"version":99,"deployments":[{"provider":"aws","region":"us-east-1","target":"f"}]}`}, 409, "version", ""},
		{"delete active policy", request{method: "DELETE", path: "/v1/policies/saver", key: adminKey}, 409, "active", ""},
		{"delete routed function", request{method: "DELETE", path: "/v1/functions/sample", key: adminKey}, 409, "saver", ""},
		{"activate unknown", request{method: "POST", path: "/v1/policies/nope/activate", key: adminKey}, 404, `"nope"`, ""},
		{"policy for missing function", request{method: "PUT", path: "/v1/policies/p", key: adminKey, body: `{"function":"ghost","default_provider":"aws"}`}, 400, "does not exist", "function"},
		{"policy provider without deployment", request{method: "PUT", path: "/v1/policies/p", key: adminKey, body: `{"function":"sample","default_provider":"gcp","default_target":"https://elsewhere.example/"}`}, 400, "no gcp deployment", "default_target"},
		{"unknown strategy", request{method: "PUT", path: "/v1/policies/p", key: adminKey, body: `{"function":"sample","default_provider":"aws","strategy":"cheapest-ever"}`}, 400, "not available", "strategy"},
		{"costs: unknown dimension", request{method: "GET", path: "/v1/costs?group_by=country", key: adminKey}, 400, "provider, function, team, day, key, region, tag", "group_by"},
		{"costs: bad day", request{method: "GET", path: "/v1/costs?from=yesterday", key: adminKey}, 400, "date", "from"},
		{"costs: reversed range", request{method: "GET", path: "/v1/costs?from=2026-02-01&to=2026-01-01", key: adminKey}, 400, "before to", "from"},
		{"costs: invoker key", request{method: "GET", path: "/v1/costs", key: invokerKey}, 403, "admin key", ""},
		{"prices: unknown provider", request{method: "GET", path: "/v1/prices?provider=oracle", key: invokerKey}, 400, "aws, azure, gcp", "provider"},
		{"prices: unknown parameter", request{method: "GET", path: "/v1/prices?sku=1", key: invokerKey}, 400, "unknown query parameter", "sku"},
		{"bad key role", request{method: "POST", path: "/v1/keys", key: adminKey, body: `{"name":"x","role":"root"}`}, 400, "admin or invoker", "role"},
		{"bad key id", request{method: "DELETE", path: "/v1/keys/zz", key: adminKey}, 400, "key ID", "id"},
		{"experiment: unknown policy", request{method: "GET", path: "/v1/experiments/nope", key: adminKey}, 404, `"nope"`, ""},
		{"experiment: bad since", request{method: "GET", path: "/v1/experiments/saver?since=monday", key: adminKey}, 400, "RFC 3339", "since"},
		{"experiment: too many records", request{method: "GET", path: "/v1/experiments/saver?max_records=1000000", key: adminKey}, 400, "1 to 200000", "max_records"},
		{"experiment: unknown parameter", request{method: "GET", path: "/v1/experiments/saver?arm=a", key: adminKey}, 400, "unknown query parameter", "arm"},
		{"experiment: invoker key", request{method: "GET", path: "/v1/experiments/saver", key: invokerKey}, 403, "admin key", ""},
		{"models: unknown function", request{method: "GET", path: "/v1/functions/nope/models", key: adminKey}, 404, `"nope"`, ""},
		{"split without its config", request{method: "PUT", path: "/v1/policies/p", key: adminKey, body: `{"function":"sample","strategy":"split"}`}, 400, "split", "split"},
		{"residency leaves nothing", request{method: "PUT", path: "/v1/policies/p", key: adminKey, body: `{"function":"sample","strategy":"cheapest","allowed_regions":["eu-west-1"]}`}, 400, "allowed", "allowed_regions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.req)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tc.status, w.Body.String())
			}
			p := decodeProblem(t, w)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
			}
			if tc.field != "" {
				found := false
				for _, v := range p.Errors {
					found = found || v.Field == tc.field
				}
				if !found {
					t.Errorf("errors %+v do not name field %q", p.Errors, tc.field)
				}
			}
			switch tc.status {
			case 401:
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			case 405:
				if w.Header().Get("Allow") == "" {
					t.Error("405 without Allow")
				}
			}
		})
	}
}

func TestFunctionLifecycle(t *testing.T) {
	e := newEnv(t)
	body := `{"deployments":[{"provider":"aws","region":"eu-west-1","target":"arn:aws:lambda:eu-west-1:123456789012:function:f"}]}`
	w := e.mustDo("PUT", "/v1/functions/f", adminKey, body, http.StatusCreated)
	if w.Header().Get("Location") != "/v1/functions/f" || w.Header().Get("ETag") != `"1"` {
		t.Errorf("create headers: Location %q ETag %q", w.Header().Get("Location"), w.Header().Get("ETag"))
	}
	// A GET body can be PUT back as is (read-only fields are ignored).
	got := e.mustDo("GET", "/v1/functions/f", adminKey, "", http.StatusOK).Body.String()
	w = e.mustDo("PUT", "/v1/functions/f", adminKey, got, http.StatusOK)
	var f catalog.Function
	if err := json.Unmarshal(w.Body.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	if f.Version != 2 || f.Deployments[0].ID != "aws-eu-west-1" || f.Deployments[0].Arch != catalog.X86_64 {
		t.Errorf("after round trip: %+v, want version 2 with defaults filled", f)
	}
	// The same GET body is now stale.
	e.mustDo("PUT", "/v1/functions/f", adminKey, got, http.StatusConflict)
	w = e.do(request{method: "PUT", path: "/v1/functions/f", key: adminKey, body: body, header: map[string]string{"If-Match": `"1"`}})
	if w.Code != http.StatusConflict {
		t.Errorf("If-Match stale = %d, want 409", w.Code)
	}
	list := e.mustDo("GET", "/v1/functions", adminKey, "", http.StatusOK).Body.String()
	if !strings.Contains(list, `"name":"f"`) || !strings.Contains(list, `"name":"sample"`) {
		t.Errorf("list = %s, want f and sample", list)
	}
	w = e.do(request{method: "DELETE", path: "/v1/functions/f", key: adminKey, header: map[string]string{"If-Match": `"2"`}})
	if w.Code != http.StatusNoContent {
		t.Fatalf("delete = %d %s", w.Code, w.Body.String())
	}
	e.mustDo("GET", "/v1/functions/f", adminKey, "", http.StatusNotFound)
}

func TestPolicySwitchAndInvocationLog(t *testing.T) {
	e := newEnv(t)
	w := e.mustDo("POST", "/api/v1/orchestrate", invokerKey, `{"a":1}`, http.StatusOK)
	if got := w.Header().Get(httpapi.HeaderProvider); got != "aws" {
		t.Fatalf("provider = %q, want aws", got)
	}
	for _, h := range []string{httpapi.HeaderRegion, httpapi.HeaderInvocationID, httpapi.HeaderDurationMs, httpapi.HeaderDeployment} {
		if w.Header().Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if !strings.Contains(w.Body.String(), `"received_bytes":7`) {
		t.Errorf("body = %s, want the function's answer to the 7-byte payload", w.Body.String())
	}

	e.mustDo("PUT", "/v1/policies/prefer-gcp", adminKey, `{"function":"sample","default_provider":"gcp"}`, http.StatusCreated)
	e.mustDo("POST", "/v1/policies/prefer-gcp/activate", adminKey, "", http.StatusOK)
	w = e.mustDo("POST", "/v1/functions/sample/invoke", invokerKey, "", http.StatusOK)
	if got := w.Header().Get(httpapi.HeaderProvider); got != "gcp" {
		t.Fatalf("after activating prefer-gcp: provider = %q, want gcp", got)
	}
	saver := e.mustDo("GET", "/v1/policies/saver", adminKey, "", http.StatusOK).Body.String()
	if !strings.Contains(saver, `"is_active":false`) {
		t.Errorf("saver after another activation: %s, want inactive", saver)
	}

	e.inv.down["gcp-us-central1"] = true
	w = e.mustDo("POST", "/v1/functions/sample/invoke", otherKey, "", http.StatusOK)
	if got := w.Header().Get(httpapi.HeaderProvider); got != "aws" || w.Header().Get(httpapi.HeaderAttempts) != "2" {
		t.Errorf("gcp down: provider %q after %s attempts, want aws after 2", got, w.Header().Get(httpapi.HeaderAttempts))
	}
	id := w.Header().Get(httpapi.HeaderInvocationID)

	// The invoker key sees its two calls, not the other key's.
	var page struct {
		Items []struct {
			ID       string `json:"invocation_id"`
			KeyID    string `json:"key_id"`
			Team     string
			Attempts []struct{ Provider, Outcome string }
		}
		NextCursor string `json:"next_cursor"`
	}
	body := e.mustDo("GET", "/v1/invocations?function=sample&limit=1", invokerKey, "", http.StatusOK).Body.Bytes()
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.NextCursor == "" || page.Items[0].Team != "payments" {
		t.Fatalf("first page = %s, want one payments record and a cursor", body)
	}
	body = e.mustDo("GET", "/v1/invocations?function=sample&limit=1&cursor="+page.NextCursor, invokerKey, "", http.StatusOK).Body.Bytes()
	page.NextCursor = ""
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.NextCursor != "" {
		t.Fatalf("second page = %s, want the last record and no cursor", body)
	}
	// The failover call shows both attempts, and only its own key may read it.
	e.mustDo("GET", "/v1/invocations/"+id, invokerKey, "", http.StatusNotFound)
	body = e.mustDo("GET", "/v1/invocations/"+id, otherKey, "", http.StatusOK).Body.Bytes()
	var rec struct {
		Attempts []struct{ Provider, Outcome, Error string }
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Attempts) != 2 || rec.Attempts[0].Outcome != "error" || rec.Attempts[0].Provider != "gcp" || rec.Attempts[1].Outcome != "ok" {
		t.Errorf("attempts = %+v, want gcp error then aws ok", rec.Attempts)
	}
}

func TestAllDownListsEveryAttempt(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"aws-us-east-1", "gcp-us-central1", "azure-eastus"} {
		e.inv.down[id] = true
	}
	for _, tc := range []struct {
		key       string
		wantWords bool
	}{{invokerKey, false}, {adminKey, true}} {
		w := e.do(request{method: "POST", path: "/v1/functions/sample/invoke", key: tc.key, body: `{}`})
		if w.Code != http.StatusBadGateway {
			t.Fatalf("status = %d, want 502", w.Code)
		}
		p := decodeProblem(t, w)
		// The policy's failover list names gcp only, so azure is never tried.
		if len(p.Attempts) != 2 || p.Attempts[0].Provider != "aws" || p.Attempts[1].Provider != "gcp" {
			t.Errorf("attempts = %+v, want aws then gcp", p.Attempts)
		}
		for _, a := range p.Attempts {
			if a.Outcome != "error" || a.ErrorKind != "unreachable" {
				t.Errorf("attempt %+v lacks its outcome or kind", a)
			}
			if got := strings.Contains(a.Error, "connection refused"); got != tc.wantWords {
				t.Errorf("key role admin=%v: attempt error %q shown=%v", tc.wantWords, a.Error, got)
			}
		}
		if w.Header().Get(httpapi.HeaderInvocationID) == "" {
			t.Error("502 without X-Fiso-Invocation-Id")
		}
	}
}

func TestKeys(t *testing.T) {
	e := newEnv(t)
	w := e.mustDo("POST", "/v1/keys", adminKey, `{"name":"ci","role":"invoker","team":"platform"}`, http.StatusCreated)
	var created struct {
		ID, Key, Role, Team string
		Hash                *string
	}
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Key, apikey.Prefix) || created.Role != "invoker" || created.Hash != nil {
		t.Fatalf("created = %s", w.Body.String())
	}
	e.mustDo("POST", "/v1/functions/sample/invoke", created.Key, `{}`, http.StatusOK)
	list := e.mustDo("GET", "/v1/keys", adminKey, "", http.StatusOK).Body.String()
	if strings.Contains(list, created.Key) || strings.Contains(list, apikey.Hash(created.Key)) {
		t.Error("key listing leaks a key or its hash")
	}
	e.mustDo("DELETE", "/v1/keys/"+created.ID, adminKey, "", http.StatusNoContent)
	e.mustDo("POST", "/v1/functions/sample/invoke", created.Key, `{}`, http.StatusUnauthorized)
	adminID := apikey.IDOf(apikey.Hash(adminKey))
	w = e.mustDo("DELETE", "/v1/keys/"+adminID, adminKey, "", http.StatusConflict)
	if !strings.Contains(w.Body.String(), "last admin key") {
		t.Errorf("deleting the last admin key: %s", w.Body.String())
	}
}

func TestPublicRoutes(t *testing.T) {
	e := newEnv(t)
	w := e.mustDo("GET", "/healthz", "", "", http.StatusOK)
	if !strings.Contains(w.Body.String(), `"ok"`) {
		t.Errorf("healthz = %s", w.Body.String())
	}
	w = e.mustDo("GET", "/openapi.yaml", "", "", http.StatusOK)
	if !bytes.Equal(w.Body.Bytes(), httpapi.OpenAPI) {
		t.Error("/openapi.yaml does not serve the embedded document")
	}
}

func TestRequestIDIsEchoedOrMade(t *testing.T) {
	e := newEnv(t)
	w := e.do(request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "trace-12345678"}})
	if got := w.Header().Get("X-Request-Id"); got != "trace-12345678" {
		t.Errorf("X-Request-Id = %q, want the caller's", got)
	}
	w = e.do(request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "bad id\n"}})
	if got := w.Header().Get("X-Request-Id"); len(got) != 26 {
		t.Errorf("X-Request-Id = %q, want a fresh ULID instead of an unsafe one", got)
	}
}

func TestPricesAndCosts(t *testing.T) {
	e := newEnv(t)
	var prices struct{ Items []pricing.Card }
	if err := json.Unmarshal(e.mustDo("GET", "/v1/prices?provider=aws&region=us-east-1", invokerKey, "", http.StatusOK).Body.Bytes(), &prices); err != nil {
		t.Fatal(err)
	}
	if len(prices.Items) != 2 || prices.Items[0].Arch != catalog.ARM64 || prices.Items[1].Arch != catalog.X86_64 {
		t.Fatalf("aws us-east-1 cards = %+v, want arm64 and x86_64", prices.Items)
	}
	for _, c := range prices.Items {
		if c.Source == "" || c.FetchedAt.IsZero() || c.Version == "" {
			t.Errorf("card %s lacks its provenance", c.KeyOf())
		}
	}
	e.mustDo("POST", "/v1/functions/sample/invoke", invokerKey, `{}`, http.StatusOK)
	var costs struct {
		GroupBy string `json:"group_by"`
		Rows    []struct {
			Group       string
			Invocations int64
			Unpriced    int64
		}
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/costs?group_by=function", adminKey, "", http.StatusOK).Body.Bytes(), &costs); err != nil {
		t.Fatal(err)
	}
	// This env's orchestrator has no pricer: the call is counted, unpriced.
	if costs.GroupBy != "function" || len(costs.Rows) != 1 || costs.Rows[0].Group != "sample" || costs.Rows[0].Invocations != 1 || costs.Rows[0].Unpriced != 1 {
		t.Errorf("costs = %+v", costs)
	}
}
