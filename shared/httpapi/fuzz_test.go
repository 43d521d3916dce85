package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// checkNever5xx is what every fuzz target asserts: bad input is a 4xx
// problem, never a 500, never a panic.
func checkNever5xx(t testing.TB, e *env, r request) {
	w := e.do(r)
	if w.Code >= 500 {
		t.Fatalf("%s %s with %q: status %d %s", r.method, r.path, r.body, w.Code, w.Body.String())
	}
	if w.Code >= 400 {
		decodeProblem(t, w)
	}
}

func FuzzPutFunction(f *testing.F) {
	for _, s := range []string{
		sampleFunction, `{}`, `{"deployments":[{}]}`, `{"deployments":[{"provider":"aws","region":"us-east-1","target":"arn:aws:lambda:us-east-1:1:function:x"}]}`,
		`{"deployments":null}`, `{"version":1e400}`, `{"deployments":[{"memory_mb":-1}]}`, `{"name":"\u0000"}`, "{\"description\":\"\xff\"}",
	} {
		f.Add(s)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		e.t = t
		checkNever5xx(t, e, request{method: http.MethodPut, path: "/v1/functions/fz", key: adminKey, body: body})
	})
}

func FuzzPutPolicy(f *testing.F) {
	for _, s := range []string{
		`{"function":"sample","default_provider":"aws"}`, `{"function":"sample","default_provider":"gcp","failover":["aws","aws"]}`,
		`{"function":"sample","default_provider":"AWS","strategy":"STATIC","default_target":""}`, `{"failover":[1]}`,
	} {
		f.Add(s)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		e.t = t
		checkNever5xx(t, e, request{method: http.MethodPut, path: "/v1/policies/fz", key: adminKey, body: body})
	})
}

func FuzzListInvocationsQuery(f *testing.F) {
	for _, s := range []string{
		"function=sample&limit=5", "since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z", "cursor=eyJmIjoieCJ9",
		"limit=99999999999999999999", "since=2026-13-01T00:00:00Z", "key_id=0123456789abcdef", "%zz",
	} {
		f.Add(s)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, query string) {
		if _, err := url.ParseRequestURI("/v1/invocations?" + query); err != nil || strings.ContainsAny(query, " #") {
			return // not a request line a client can send
		}
		e.t = t
		checkNever5xx(t, e, request{method: http.MethodGet, path: "/v1/invocations?" + query, key: adminKey})
		checkNever5xx(t, e, request{method: http.MethodGet, path: "/v1/invocations?" + query, key: invokerKey})
	})
}

func FuzzInvokePayload(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `"x"`, `{"a":`, "", "\xff", `{"a":1}{"b":2}`} {
		f.Add(s, "eu-west-1")
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body, region string) {
		if strings.ContainsAny(region, "\r\n") {
			return
		}
		e.t = t
		checkNever5xx(t, e, request{method: http.MethodPost, path: "/v1/functions/sample/invoke", key: invokerKey, body: body,
			header: map[string]string{"X-Fiso-User-Region": region}})
	})
}
