package httpapi_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/httpapi"
)

type costRow struct {
	Group         string   `json:"group"`
	CostUSD       *float64 `json:"cost_usd"`
	Invocations   int64    `json:"invocations"`
	BaselineUSD   *float64 `json:"baseline_usd"`
	BaselineCalls *int64   `json:"baseline_calls"`
}

func (e *env) costs(t *testing.T, groupBy string) []costRow {
	t.Helper()
	var out struct {
		GroupBy string    `json:"group_by"`
		Rows    []costRow `json:"rows"`
		Total   costRow   `json:"total"`
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/costs?group_by="+groupBy, adminKey, "", http.StatusOK).Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.GroupBy != groupBy {
		t.Errorf("group_by = %q, want %q", out.GroupBy, groupBy)
	}
	for _, r := range append(out.Rows, out.Total) {
		if r.CostUSD == nil || r.BaselineUSD == nil || r.BaselineCalls == nil {
			t.Errorf("row %+v lacks cost_usd, baseline_usd or baseline_calls", r)
		}
	}
	return out.Rows
}

func groups(rows []costRow) map[string]int64 {
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Group] = r.Invocations
	}
	return out
}

func TestInvokeRecordsTags(t *testing.T) {
	e := newEnv(t)
	tagged := func(path, tags string) string {
		t.Helper()
		w := e.do(request{method: "POST", path: path, key: invokerKey, body: `{}`, header: map[string]string{httpapi.HeaderTags: tags}})
		if w.Code != http.StatusOK {
			t.Fatalf("POST %s with tags %q = %d %s", path, tags, w.Code, w.Body.String())
		}
		return w.Header().Get(httpapi.HeaderInvocationID)
	}
	id := tagged("/v1/functions/sample/invoke", " env=prod , app=checkout")
	tagged("/api/v1/orchestrate", "env=prod")
	tagged("/api/v1/orchestrate", "")

	var rec struct {
		Tags  map[string]string `json:"tags"`
		KeyID string            `json:"key_id"`
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/invocations/"+id, adminKey, "", http.StatusOK).Body.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"env": "prod", "app": "checkout"}; !maps.Equal(rec.Tags, want) {
		t.Errorf("recorded tags = %v, want %v", rec.Tags, want)
	}

	for _, tc := range []struct {
		groupBy string
		want    map[string]int64
	}{
		// The untagged call is not counted under tag.
		{"tag", map[string]int64{"app=checkout": 1, "env=prod": 2}},
		{"key", map[string]int64{rec.KeyID: 3}},
		{"region", map[string]int64{"us-east-1": 3}},
		{"function", map[string]int64{"sample": 3}},
	} {
		if got := groups(e.costs(t, tc.groupBy)); !maps.Equal(got, tc.want) {
			t.Errorf("group_by=%s: got %v, want %v", tc.groupBy, got, tc.want)
		}
	}
}

func TestInvokeRejectsBadTags(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, path, tags, detail string
	}{
		{"upper-case key", "/v1/functions/sample/invoke", "Env=prod", `"Env=prod"`},
		{"duplicate key", "/api/v1/orchestrate", "env=prod,env=dev", "more than once"},
		{"too many", "/v1/functions/sample/invoke", strings.Repeat("a=1,", 10) + "b=2", "at most 10"},
		{"bad value", "/api/v1/orchestrate", "app=check out", "value must"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(request{method: "POST", path: tc.path, key: invokerKey, body: `{}`, header: map[string]string{httpapi.HeaderTags: tc.tags}})
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400 (body %s)", w.Code, w.Body.String())
			}
			p := decodeProblem(t, w)
			if !strings.Contains(p.Detail, tc.detail) || len(p.Errors) != 1 || p.Errors[0].Field != httpapi.HeaderTags {
				t.Errorf("problem = %+v, want field %s and a detail with %q", p, httpapi.HeaderTags, tc.detail)
			}
		})
	}
	// Nothing was invoked.
	if got := groups(e.costs(t, "function")); len(got) != 0 {
		t.Errorf("costs after rejected calls: %v, want none", got)
	}
}

func TestRepeatedTagsHeadersAreOneList(t *testing.T) {
	e := newEnv(t)
	send := func(values ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/functions/sample/invoke", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+invokerKey)
		req.Header.Set("Content-Type", "application/json")
		for _, v := range values {
			req.Header.Add(httpapi.HeaderTags, v)
		}
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, req)
		return w
	}
	if w := send("env=prod", "app=checkout"); w.Code != http.StatusOK {
		t.Fatalf("two header lines: %d %s", w.Code, w.Body.String())
	}
	if w := send("env=prod", "env=dev"); w.Code != http.StatusBadRequest {
		t.Errorf("a key repeated across header lines: got %d, want 400", w.Code)
	}
	if got, want := groups(e.costs(t, "tag")), map[string]int64{"app=checkout": 1, "env=prod": 1}; !maps.Equal(got, want) {
		t.Errorf("tags = %v, want %v", got, want)
	}
}

func FuzzTagsHeader(f *testing.F) {
	for _, s := range []string{"env=prod,app=checkout", "Env=prod", "a=b=c", ",", "k=\x00", strings.Repeat("a=1,", 11)} {
		f.Add(s)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, tags string) {
		e.t = t
		checkNever5xx(t, e, request{method: http.MethodPost, path: "/v1/functions/sample/invoke", key: invokerKey, body: `{}`, header: map[string]string{httpapi.HeaderTags: tags}})
	})
}
