package gcpfunc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/functions/samples/sample"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/cloud/gcpfunc"
	"github.com/fiso-dev/fiso/shared/secret"
)

// env is the process environment the resolver reads credential refs from.
type env struct {
	mu   sync.Mutex
	vars map[string]string
}

func (e *env) lookup(k string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.vars[k]
	return v, ok
}

func (e *env) set(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vars[k] = v
}

func deployment(target, ref string) catalog.Deployment {
	return catalog.Deployment{ID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1", Target: target, CredentialRef: ref}
}

// secretsIn returns every string a secret could leak from in this test.
func secretsIn(g *fakeGoogle, saJSON string) []string {
	var key struct {
		PrivateKey string `json:"private_key"`
	}
	json.Unmarshal([]byte(saJSON), &key)
	body := strings.Split(key.PrivateKey, "\n")[1] // a line of the PEM body
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string{body}, g.issued...)
}

func assertNoSecrets(t *testing.T, secrets []string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Fatalf("%q leaks a secret", text)
			}
		}
	}
}

func TestInvokeWithIDToken(t *testing.T) {
	g := newFakeGoogle(t)
	fn := newPrivateFunction(t, &g.google.PublicKey, "/fiso-sample", false)
	sa := g.serviceAccountJSON(t, g.sa, nil)
	e := &env{vars: map[string]string{"FISO_SECRET_GCP_SA": sa}}
	c := gcpfunc.New(nil, secret.NewResolver(nil, secret.WithLookupEnv(e.lookup)))

	for i := range 3 {
		// The query is not part of the audience.
		resp, err := c.Invoke(context.Background(), deployment(fn.srv.URL+"/fiso-sample?attempt="+fmt.Sprint(i), "env:FISO_SECRET_GCP_SA"), []byte(`{"n":1}`))
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		var got sample.Response
		if err := json.Unmarshal(resp.Body, &got); err != nil || got.Platform != sample.PlatformGCP || got.Message != sample.Message {
			t.Fatalf("call %d: got %s (%v)", i, resp.Body, err)
		}
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.ContentType, "application/json") {
			t.Fatalf("call %d: got %d %s", i, resp.StatusCode, resp.ContentType)
		}
		if !strings.HasPrefix(fn.auth(), "Bearer ey") {
			t.Fatalf("call %d: Authorization %q, want a bearer JWT", i, fn.auth())
		}
	}
	if got := g.exchanges.Load(); got != 1 {
		t.Fatalf("got %d token exchanges for 3 calls, want 1 (the token is reused)", got)
	}
}

func TestInvokeFailures(t *testing.T) {
	g := newFakeGoogle(t)
	fn := newPrivateFunction(t, &g.google.PublicKey, "/fiso-sample", false)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	sa := g.serviceAccountJSON(t, g.sa, nil)
	e := &env{vars: map[string]string{
		"FISO_SECRET_GCP_SA":        sa,
		"FISO_SECRET_WRONG_KEY":     g.serviceAccountJSON(t, newKey(t), nil),
		"FISO_SECRET_TOKEN_DOWN":    g.serviceAccountJSON(t, g.sa, func(m map[string]any) { m["token_uri"] = down.URL + "/token" }),
		"FISO_SECRET_TOKEN_REMOTE":  g.serviceAccountJSON(t, g.sa, func(m map[string]any) { m["token_uri"] = "http://oauth2.example.com/token" }),
		"FISO_SECRET_USER_CREDS":    `{"type":"authorized_user","client_id":"x","client_secret":"y","refresh_token":"z"}`,
		"FISO_SECRET_NOT_JSON":      "-----BEGIN PRIVATE KEY-----",
		"FISO_SECRET_NO_PRIVATEKEY": g.serviceAccountJSON(t, g.sa, func(m map[string]any) { delete(m, "private_key") }),
		"FISO_SECRET_BAD_PEM": g.serviceAccountJSON(t, g.sa, func(m map[string]any) {
			m["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}),
	}}
	c := gcpfunc.New(nil, secret.NewResolver(nil, secret.WithLookupEnv(e.lookup)))

	tests := []struct {
		name       string
		target     string
		ref        string
		wantKind   cloud.Kind
		wantStatus int
		wantDetail string
	}{
		{"wrong audience", fn.srv.URL + "/other-function", "env:FISO_SECRET_GCP_SA", cloud.Rejected, 401, "refused FISO's credential (HTTP 401); check the target URL and that the service account"},
		{"no token for a private function", fn.audience(), "", cloud.Rejected, 401, "HTTP 401"},
		{"token endpoint down", fn.audience(), "env:FISO_SECRET_TOKEN_DOWN", cloud.Credentials, 0, "obtain an ID token for " + fn.audience() + " with env:FISO_SECRET_TOKEN_DOWN: token endpoint"},
		{"token endpoint refuses the key", fn.audience(), "env:FISO_SECRET_WRONG_KEY", cloud.Credentials, 0, "invalid_grant"},
		{"plain-http token endpoint", fn.audience(), "env:FISO_SECRET_TOKEN_REMOTE", cloud.Credentials, 0, "token_uri must be an https URL"},
		{"not a service account", fn.audience(), "env:FISO_SECRET_USER_CREDS", cloud.Credentials, 0, `"authorized_user" credential`},
		{"not JSON", fn.audience(), "env:FISO_SECRET_NOT_JSON", cloud.Credentials, 0, "not a service-account JSON key"},
		{"no private key", fn.audience(), "env:FISO_SECRET_NO_PRIVATEKEY", cloud.Credentials, 0, "lacks client_email or private_key"},
		{"unparsable private key", fn.audience(), "env:FISO_SECRET_BAD_PEM", cloud.Credentials, 0, "with env:FISO_SECRET_BAD_PEM"},
		{"unresolvable reference", fn.audience(), "env:FISO_SECRET_MISSING", cloud.Credentials, 0, "resolve env:FISO_SECRET_MISSING"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Invoke(context.Background(), deployment(tc.target, tc.ref), nil)
			var ce *cloud.Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *cloud.Error", err)
			}
			if ce.Kind != tc.wantKind || ce.StatusCode != tc.wantStatus {
				t.Fatalf("got %s/%d (%v), want %s/%d", ce.Kind, ce.StatusCode, err, tc.wantKind, tc.wantStatus)
			}
			if !strings.Contains(ce.Detail, tc.wantDetail) {
				t.Errorf("detail %q does not contain %q", ce.Detail, tc.wantDetail)
			}
			assertNoSecrets(t, secretsIn(g, sa), err.Error(), ce.Detail, fmt.Sprintf("%+v", err), fmt.Sprintf("%+v", resp))
		})
	}
}

func TestInvokeWithoutCredentialRef(t *testing.T) {
	g := newFakeGoogle(t)
	fn := newPrivateFunction(t, &g.google.PublicKey, "/", true)
	c := gcpfunc.New(nil, nil)
	resp, err := c.Invoke(context.Background(), deployment(fn.srv.URL, ""), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || fn.auth() != "" {
		t.Fatalf("got %d, Authorization %q; want 200 and no Authorization header", resp.StatusCode, fn.auth())
	}
	if got := g.exchanges.Load(); got != 0 {
		t.Fatalf("got %d token exchanges, want none", got)
	}
}

func TestTokenSourcesPerCredentialAndAudience(t *testing.T) {
	g := newFakeGoogle(t)
	fnA := newPrivateFunction(t, &g.google.PublicKey, "/a", false)
	fnB := newPrivateFunction(t, &g.google.PublicKey, "/b", false)
	e := &env{vars: map[string]string{"FISO_SECRET_GCP_SA": g.serviceAccountJSON(t, g.sa, nil)}}

	type call struct {
		fn            *privateFunction
		rotate        bool // store a new key under the same reference first
		wantExchanges int32
	}
	tests := []struct {
		name  string
		opts  []gcpfunc.Option
		calls []call
	}{
		{"one token per audience", nil, []call{{fnA, false, 1}, {fnB, false, 2}, {fnA, false, 2}, {fnB, false, 2}}},
		{"bounded cache drops the least recently used", []gcpfunc.Option{gcpfunc.WithMaxTokenSources(1)},
			[]call{{fnA, false, 1}, {fnA, false, 1}, {fnB, false, 2}, {fnA, false, 3}}},
		{"a rotated key gets a new token", nil, []call{{fnA, false, 1}, {fnA, true, 2}, {fnA, false, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g.exchanges.Store(0)
			c := gcpfunc.New(nil, secret.NewResolver(nil, secret.WithLookupEnv(e.lookup)), tc.opts...)
			for i, call := range tc.calls {
				if call.rotate {
					// Same service account, re-serialized with another key ID.
					e.set("FISO_SECRET_GCP_SA", g.serviceAccountJSON(t, g.sa, func(m map[string]any) { m["private_key_id"] = fmt.Sprint("rotated-", i) }))
				}
				if _, err := c.Invoke(context.Background(), deployment(call.fn.audience(), "env:FISO_SECRET_GCP_SA"), nil); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if got := g.exchanges.Load(); got != call.wantExchanges {
					t.Fatalf("call %d: %d exchanges, want %d", i, got, call.wantExchanges)
				}
			}
		})
	}
}

func TestConcurrentCallsShareOneExchange(t *testing.T) {
	g := newFakeGoogle(t)
	fn := newPrivateFunction(t, &g.google.PublicKey, "/f", false)
	e := &env{vars: map[string]string{"FISO_SECRET_GCP_SA": g.serviceAccountJSON(t, g.sa, nil)}}
	c := gcpfunc.New(nil, secret.NewResolver(nil, secret.WithLookupEnv(e.lookup)))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.Invoke(context.Background(), deployment(fn.audience(), "env:FISO_SECRET_GCP_SA"), nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := g.exchanges.Load(); got != 1 {
		t.Fatalf("got %d exchanges for a burst, want 1", got)
	}
}

func TestDeadlineWhileWaitingForTheToken(t *testing.T) {
	g := newFakeGoogle(t)
	g.hang = make(chan struct{})
	defer close(g.hang)
	fn := newPrivateFunction(t, &g.google.PublicKey, "/f", false)
	e := &env{vars: map[string]string{"FISO_SECRET_GCP_SA": g.serviceAccountJSON(t, g.sa, nil)}}
	c := gcpfunc.New(nil, secret.NewResolver(nil, secret.WithLookupEnv(e.lookup)), gcpfunc.WithTokenTimeout(5*time.Second))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Invoke(ctx, deployment(fn.audience(), "env:FISO_SECRET_GCP_SA"), nil)
	if got := cloud.KindOf(err); got != cloud.Timeout {
		t.Fatalf("got %v (%s), want Timeout", err, got)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("waited %s, past the attempt's deadline", waited)
	}
}

func TestAudience(t *testing.T) {
	tests := []struct{ target, want string }{
		{"https://us-central1-fiso-prod.cloudfunctions.net/fiso-sample", "https://us-central1-fiso-prod.cloudfunctions.net/fiso-sample"},
		{"https://us-central1-fiso-prod.cloudfunctions.net/fiso-sample?x=1#f", "https://us-central1-fiso-prod.cloudfunctions.net/fiso-sample"},
		{"https://fiso-sample-abc123-uc.a.run.app", "https://fiso-sample-abc123-uc.a.run.app"},
		{"https://fiso-sample-abc123-uc.a.run.app/", "https://fiso-sample-abc123-uc.a.run.app"},
		{"https://fiso-sample-abc123-uc.a.run.app/api/v1?q=2", "https://fiso-sample-abc123-uc.a.run.app"},
		{"https://fiso-sample-123456789.us-central1.run.app/x", "https://fiso-sample-123456789.us-central1.run.app"},
		{"http://127.0.0.1:8080/?", "http://127.0.0.1:8080/"},
	}
	for _, tc := range tests {
		if got := gcpfunc.Audience(tc.target); got != tc.want {
			t.Errorf("Audience(%q) = %q, want %q", tc.target, got, tc.want)
		}
	}
}
