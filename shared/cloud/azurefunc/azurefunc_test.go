package azurefunc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/functions/samples/sample"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/cloud/azurefunc"
	"github.com/fiso-dev/fiso/shared/localcloud"
	"github.com/fiso-dev/fiso/shared/secret"
)

const functionKey = "c2VjcmV0LWF6dXJlLWZ1bmN0aW9uLWtleQ-Zz9=="

// leakCheck collects every string the tests produce from a call (errors,
// details, log lines) and fails if any holds the function key.
type leakCheck struct {
	t    *testing.T
	logs bytes.Buffer
	log  *slog.Logger
}

func newLeakCheck(t *testing.T) *leakCheck {
	l := &leakCheck{t: t}
	l.log = slog.New(slog.NewJSONHandler(&l.logs, nil))
	t.Cleanup(func() {
		if strings.Contains(l.logs.String(), functionKey) {
			t.Errorf("a log line carries the function key:\n%s", l.logs.String())
		}
	})
	return l
}

// record logs the outcome of an attempt the way a caller would, and checks
// the error's strings directly.
func (l *leakCheck) record(d catalog.Deployment, resp cloud.Response, err error) {
	l.t.Helper()
	l.log.Info("attempt", "deployment", d, "status", resp.StatusCode, "error", err)
	texts := []string{fmt.Sprint(err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	var ce *cloud.Error
	if errors.As(err, &ce) {
		texts = append(texts, ce.Detail)
		if ce.Err != nil {
			texts = append(texts, ce.Err.Error())
		}
	}
	for _, s := range texts {
		if strings.Contains(s, functionKey) {
			l.t.Fatalf("%q carries the function key", s)
		}
	}
}

func resolver(vars map[string]string) *secret.Resolver {
	return secret.NewResolver(nil, secret.WithLookupEnv(func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}))
}

func deployment(target, ref string) catalog.Deployment {
	return catalog.Deployment{ID: "azure-westeurope", Provider: catalog.Azure, Region: "westeurope", Target: target, CredentialRef: ref}
}

// azureHost serves the sample's custom handler behind the host emulator,
// recording the key header each request arrived with.
func azureHost(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	host, err := localcloud.NewAzureHost(functionKey, sample.AzureHandler(sample.WithRegion("westeurope")))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get(azurefunc.KeyHeader))
		mu.Unlock()
		host.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestInvokeThroughTheHost(t *testing.T) {
	srv, seen := azureHost(t)
	leaks := newLeakCheck(t)
	c := azurefunc.New(srv.Client(), resolver(map[string]string{
		"FISO_SECRET_AZURE_KEY": functionKey,
		"FISO_SECRET_OLD_KEY":   "an-old-function-key",
	}))
	tests := []struct {
		name       string
		path       string
		ref        string
		wantKind   cloud.Kind
		wantStatus int
		wantHeader string // the x-functions-key the host received
	}{
		{"key sent", "/api/sample", "env:FISO_SECRET_AZURE_KEY", "", 200, functionKey},
		{"wrong key", "/api/sample", "env:FISO_SECRET_OLD_KEY", cloud.Rejected, 401, "an-old-function-key"},
		{"no key", "/api/sample", "", cloud.Rejected, 401, ""},
		{"wrong route", "/api/nope", "env:FISO_SECRET_AZURE_KEY", cloud.Rejected, 404, functionKey},
		{"key unresolvable", "/api/sample", "env:FISO_SECRET_MISSING", cloud.Credentials, 0, "(not called)"},
		{"malformed reference", "/api/sample", "vault:x", cloud.Credentials, 0, "(not called)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(seen())
			d := deployment(srv.URL+tc.path, tc.ref)
			resp, err := c.Invoke(context.Background(), d, []byte(`{"order":"o-9"}`))
			leaks.record(d, resp, err)
			got := seen()[before:]
			switch {
			case tc.wantHeader == "(not called)" && len(got) != 0:
				t.Fatalf("the host was called with an unresolvable key")
			case tc.wantHeader != "(not called)" && (len(got) != 1 || got[0] != tc.wantHeader):
				t.Fatalf("the host saw x-functions-key %q, want %q", got, tc.wantHeader)
			}
			if tc.wantKind == "" {
				if err != nil {
					t.Fatal(err)
				}
				var ans sample.Response
				if err := json.Unmarshal(resp.Body, &ans); err != nil || ans.Platform != sample.PlatformAzure || ans.Region != "westeurope" || ans.ReceivedBytes != 15 {
					t.Fatalf("got %s (%v)", resp.Body, err)
				}
				return
			}
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Kind != tc.wantKind || ce.StatusCode != tc.wantStatus {
				t.Fatalf("got %v, want %s (HTTP %d)", err, tc.wantKind, tc.wantStatus)
			}
			if tc.wantKind == cloud.Credentials && !strings.Contains(ce.Detail, tc.ref) {
				t.Errorf("detail %q does not name the reference", ce.Detail)
			}
		})
	}
}

// The custom handler's own answers, as the host passes them through with
// enableForwardingHttpRequest.
func TestInvokeStatusMapping(t *testing.T) {
	leaks := newLeakCheck(t)
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantKind    cloud.Kind
		wantDetail  string
	}{
		{"200", 200, "application/json", `{"ok":true}`, "", ""},
		{"201", 201, "application/json", `{"id":"n-1"}`, "", ""},
		{"400 is the function's answer", 400, "application/json", `{"error":"order_id is required"}`, "", ""},
		{"409 is the function's answer", 409, "application/json", `{"error":"duplicate"}`, "", ""},
		{"422 is the function's answer", 422, "application/problem+json", `{"title":"invalid"}`, "", ""},
		{"401 from the host", 401, "", ``, cloud.Rejected, "function key behind credential_ref"},
		{"403 (IP restrictions)", 403, "text/html", `<html>Forbidden</html>`, cloud.Rejected, "HTTP 403"},
		{"404 (function disabled)", 404, "", ``, cloud.Rejected, "no function at this URL"},
		{"408", 408, "", ``, cloud.Timeout, "HTTP 408"},
		{"429", 429, "", ``, cloud.Throttled, "throttled"},
		{"500 with text", 500, "text/plain; charset=utf-8", "database unreachable\n", cloud.FunctionError, "the function failed (HTTP 500): database unreachable"},
		{"500 with binary", 500, "application/octet-stream", "\x00\x01\x02", cloud.FunctionError, "(HTTP 500)"},
		{"503 host restarting", 503, "text/html", "<h1>Service Unavailable</h1>", cloud.Unavailable, "Service Unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get(azurefunc.KeyHeader) != functionKey || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("got key %q, content type %q", r.Header.Get(azurefunc.KeyHeader), r.Header.Get("Content-Type"))
				}
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c := azurefunc.New(srv.Client(), resolver(map[string]string{"FISO_SECRET_K": functionKey}))
			d := deployment(srv.URL+"/api/sample", "env:FISO_SECRET_K")
			resp, err := c.Invoke(context.Background(), d, []byte(`{}`))
			leaks.record(d, resp, err)
			if resp.StatusCode != tc.status {
				t.Errorf("got status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.wantKind == "" {
				if err != nil || string(resp.Body) != tc.body || resp.ContentType != tc.contentType {
					t.Fatalf("got %q (%s), %v; want %q", resp.Body, resp.ContentType, err, tc.body)
				}
				return
			}
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Kind != tc.wantKind {
				t.Fatalf("got %v, want %s", err, tc.wantKind)
			}
			if !strings.Contains(ce.Detail, tc.wantDetail) {
				t.Errorf("detail %q does not contain %q", ce.Detail, tc.wantDetail)
			}
		})
	}
}

func TestInvokeTransport(t *testing.T) {
	leaks := newLeakCheck(t)
	done := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer slow.Close()
	defer close(done)
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":%q}`, strings.Repeat("z", 4096))
	}))
	defer big.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name     string
		target   string
		timeout  time.Duration
		opts     []azurefunc.Option
		wantKind cloud.Kind
	}{
		{"timeout", slow.URL + "/api/sample", 50 * time.Millisecond, nil, cloud.Timeout},
		{"unreachable", closed.URL + "/api/sample", time.Second, nil, cloud.Unreachable},
		{"over the cap", big.URL + "/api/sample", time.Second, []azurefunc.Option{azurefunc.WithMaxResponseBytes(1024)}, cloud.TooLarge},
		{"within a larger cap", big.URL + "/api/sample", time.Second, []azurefunc.Option{azurefunc.WithMaxResponseBytes(8192)}, ""},
		{"key never sent over plain http to a remote host", "http://fiso-sample.azurewebsites.net/api/sample", time.Second, nil, cloud.Rejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			c := azurefunc.New(nil, resolver(map[string]string{"FISO_SECRET_K": functionKey}), tc.opts...)
			d := deployment(tc.target, "env:FISO_SECRET_K")
			resp, err := c.Invoke(ctx, d, nil)
			leaks.record(d, resp, err)
			if tc.wantKind == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := cloud.KindOf(err); got != tc.wantKind {
				t.Fatalf("got %v (%s), want %s", err, got, tc.wantKind)
			}
		})
	}
}

func TestInvokeWithoutSecretSource(t *testing.T) {
	c := azurefunc.New(nil, nil)
	_, err := c.Invoke(context.Background(), deployment("https://fiso-sample.azurewebsites.net/api/sample", "env:FISO_SECRET_K"), nil)
	if got := cloud.KindOf(err); got != cloud.Credentials {
		t.Fatalf("got %v, want Credentials", err)
	}
}
