package httpcall_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/cloud/httpcall"
)

func TestPostStatusMapping(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantKind    cloud.Kind // "" = the function's answer
		wantDetail  string     // substring of Detail
		notDetail   string
	}{
		{"200", 200, "application/json", `{"ok":true}`, "", "", ""},
		{"201", 201, "application/json", `{}`, "", "", ""},
		{"204", 204, "", ``, "", "", ""},
		{"400 is the function's answer", 400, "application/json", `{"error":"bad input"}`, "", "", ""},
		{"409 is the function's answer", 409, "text/plain", `conflict`, "", "", ""},
		{"422 is the function's answer", 422, "application/problem+json", `{"title":"x"}`, "", "", ""},
		{"401", 401, "", ``, cloud.Rejected, "refused FISO's credential (HTTP 401); check it", ""},
		{"403", 403, "text/plain", `forbidden`, cloud.Rejected, "HTTP 403", ""},
		{"404", 404, "text/html", `<h1>nope</h1>`, cloud.Rejected, "no function at this URL", ""},
		{"408", 408, "", ``, cloud.Timeout, "HTTP 408", ""},
		{"429", 429, "", ``, cloud.Throttled, "HTTP 429", ""},
		{"500 text", 500, "text/plain; charset=utf-8", "panic:\n\tboom   here", cloud.FunctionError, "HTTP 500): panic: boom here", ""},
		{"502 json", 502, "application/json", `{"error":"upstream"}`, cloud.Unavailable, `{"error":"upstream"}`, ""},
		{"503 binary", 503, "application/octet-stream", "\x00\x01secretish", cloud.Unavailable, "HTTP 503", "secretish"},
		{"500 invalid utf-8", 500, "", "\xff\xfe\xfd", cloud.FunctionError, "HTTP 500", "\xff"},
		{"500 long body truncated", 500, "text/plain", strings.Repeat("é", 400), cloud.FunctionError, "…", strings.Repeat("é", 200)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c := httpcall.New(srv.Client(), 0, "check it")
			resp, err := c.Post(context.Background(), srv.URL+"/api/f", []byte(`{}`), nil)
			if resp.StatusCode != tc.status {
				t.Errorf("got status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.wantKind == "" {
				if err != nil {
					t.Fatalf("got error %v, want the function's answer", err)
				}
				if string(resp.Body) != tc.body || resp.ContentType != tc.contentType {
					t.Fatalf("got %q (%s), want %q (%s)", resp.Body, resp.ContentType, tc.body, tc.contentType)
				}
				return
			}
			var ce *cloud.Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *cloud.Error", err)
			}
			if ce.Kind != tc.wantKind || ce.StatusCode != tc.status {
				t.Fatalf("got %s/%d, want %s/%d", ce.Kind, ce.StatusCode, tc.wantKind, tc.status)
			}
			if !strings.Contains(ce.Error(), tc.wantDetail) {
				t.Errorf("error %q does not contain %q", ce.Error(), tc.wantDetail)
			}
			if tc.notDetail != "" && strings.Contains(ce.Detail, tc.notDetail) {
				t.Errorf("detail %q contains %q", ce.Detail, tc.notDetail)
			}
			if !utf8.ValidString(ce.Detail) {
				t.Errorf("detail %q is not UTF-8", ce.Detail)
			}
		})
	}
}

func TestPostSendsPayloadAndHeaders(t *testing.T) {
	type seen struct {
		method, contentType, custom string
		body                        []byte
	}
	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"payload", []byte(`{"a":1}`), `{"a":1}`},
		{"empty payload is an empty event", nil, `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan seen, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- seen{r.Method, r.Header.Get("Content-Type"), r.Header.Get("X-Custom"), b}
			}))
			defer srv.Close()
			_, err := httpcall.New(srv.Client(), 0, "").Post(context.Background(), srv.URL, tc.payload, http.Header{"X-Custom": {"v"}})
			if err != nil {
				t.Fatal(err)
			}
			s := <-got
			if s.method != http.MethodPost || s.contentType != "application/json" || s.custom != "v" || string(s.body) != tc.want {
				t.Fatalf("got %+v", s)
			}
		})
	}
}

func TestPostDoesNotFollowRedirects(t *testing.T) {
	var leaked bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = true
	}))
	defer elsewhere.Close()
	srv := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusTemporaryRedirect))
	defer srv.Close()

	client := srv.Client()
	_, err := httpcall.New(client, 0, "").Post(context.Background(), srv.URL, nil, http.Header{"X-Functions-Key": {"k"}})
	if cloud.KindOf(err) != cloud.Rejected {
		t.Fatalf("got %v, want Rejected", err)
	}
	if leaked {
		t.Fatal("the redirect was followed")
	}
	if client.CheckRedirect != nil {
		t.Fatal("New changed the caller's client")
	}
}

func TestPostCap(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		status   int
		wantKind cloud.Kind
	}{
		{"at the cap", 64, 200, ""},
		{"over the cap", 65, 200, cloud.TooLarge},
		{"over the cap on a 4xx answer", 65, 400, cloud.TooLarge},
		{"a 5xx stays a function error", 1000, 500, cloud.FunctionError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				w.Write(bytes.Repeat([]byte("x"), tc.size))
			}))
			defer srv.Close()
			resp, err := httpcall.New(srv.Client(), 64, "").Post(context.Background(), srv.URL, nil, nil)
			if tc.wantKind == "" {
				if err != nil || len(resp.Body) != tc.size {
					t.Fatalf("got %d bytes, %v", len(resp.Body), err)
				}
				return
			}
			if got := cloud.KindOf(err); got != tc.wantKind {
				t.Fatalf("got %v, want %s", err, tc.wantKind)
			}
			if tc.wantKind == cloud.TooLarge && resp.Body != nil {
				t.Fatal("a truncated body was returned")
			}
		})
	}
}

func TestPostTransportFailures(t *testing.T) {
	done := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer slow.Close()
	stalls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, `{"partial":`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer stalls.Close()
	defer close(done) // runs before the Closes, which wait for handlers
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name     string
		target   string
		timeout  time.Duration
		wantKind cloud.Kind
		notIn    string
	}{
		{"no answer before the deadline", slow.URL, 50 * time.Millisecond, cloud.Timeout, ""},
		{"deadline while reading the body", stalls.URL, 100 * time.Millisecond, cloud.Timeout, ""},
		{"connection refused", closedURL + "/api/f?token=abc", time.Second, cloud.Unreachable, "token=abc"},
		{"plain http to a remote host", "http://example.com/api/f", time.Second, cloud.Rejected, ""},
		{"credentials in the URL", "https://user:pw@example.com/", time.Second, cloud.Rejected, "pw"},
		{"not a URL", "::", time.Second, cloud.Rejected, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			_, err := httpcall.New(nil, 0, "").Post(ctx, tc.target, nil, nil)
			if got := cloud.KindOf(err); got != tc.wantKind {
				t.Fatalf("got %v (%s), want %s", err, got, tc.wantKind)
			}
			if tc.notIn != "" && strings.Contains(err.Error(), tc.notIn) {
				t.Fatalf("error %q contains %q", err, tc.notIn)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://fn.azurewebsites.net/api/sample?code=abc#x", "https://fn.azurewebsites.net/api/sample"},
		{"https://u:p@h/p", "https://h/p"},
		{"::", "the target URL"},
		{"/relative", "the target URL"},
	}
	for _, tc := range tests {
		if got := httpcall.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzExcerpt(f *testing.F) {
	f.Add("text/plain", []byte("hello\n\tworld"), 5)
	f.Add("", []byte("\xe2\x82\xac\xe2\x82\xac"), 4)
	f.Add("application/json; charset=utf-8", []byte(`{"a":"b"}`), 256)
	f.Add("image/png", []byte("\x89PNG"), 10)
	f.Fuzz(func(t *testing.T, ct string, body []byte, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		got := httpcall.Excerpt(ct, body, max)
		if !utf8.ValidString(got) {
			t.Fatalf("excerpt %q is not UTF-8", got)
		}
		if len(got) > max+len("…") {
			t.Fatalf("excerpt of %d bytes exceeds %d", len(got), max)
		}
	})
}

// A failing function that echoes its request headers must not carry FISO's
// credential into the error detail (logs, records, problems).
func TestPostScrubsEchoedCredentials(t *testing.T) {
	const key = "an-azure-function-key-0123456789"
	const token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3gifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "crashed; headers were x-functions-key=%s authorization=Bearer %s", r.Header.Get("x-functions-key"), token)
	}))
	defer srv.Close()
	_, err := httpcall.New(srv.Client(), 0, "").Post(context.Background(), srv.URL, nil, http.Header{"X-Functions-Key": {key}})
	if err == nil {
		t.Fatal("a 500 was not an error")
	}
	if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), token) {
		t.Errorf("error detail leaks a credential: %v", err)
	}
	if !strings.Contains(err.Error(), "crashed") {
		t.Errorf("error detail %q lost the function's own words", err)
	}
}
