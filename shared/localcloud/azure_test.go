package localcloud_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/functions/samples/sample"
	"github.com/fiso-dev/fiso/shared/localcloud"
)

const functionKey = "azure-function-key-Q1w2E3r4"

func TestAzureHost(t *testing.T) {
	// seen records what the custom handler received, to prove the key is
	// not forwarded.
	var seenKey, seenQuery string
	custom := sample.AzureHandler()
	host, err := localcloud.NewAzureHost(functionKey, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenKey, seenQuery = r.Header.Get("x-functions-key"), r.URL.RawQuery
		custom.ServeHTTP(w, r)
	}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(host)
	defer srv.Close()

	tests := []struct {
		name       string
		method     string
		path       string
		key        string
		wantStatus int
		wantQuery  string
	}{
		{"key header", "POST", "/api/sample", functionKey, 200, ""},
		{"code parameter", "POST", "/api/sample?code=" + functionKey + "&x=1", "", 200, "x=1"},
		{"GET", "GET", "/api/sample", functionKey, 200, ""},
		{"wrong key", "POST", "/api/sample", functionKey + "x", 401, ""},
		{"wrong code", "POST", "/api/sample?code=nope", "", 401, ""},
		{"key prefix", "POST", "/api/sample", functionKey[:5], 401, ""},
		{"no key", "POST", "/api/sample", "", 401, ""},
		{"unknown route with key", "POST", "/api/other", functionKey, 404, ""},
		{"method the trigger lacks", "PUT", "/api/sample", functionKey, 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seenKey, seenQuery = "unset", "unset"
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(`{"n":1}`))
			if err != nil {
				t.Fatal(err)
			}
			if tc.key != "" {
				req.Header.Set("x-functions-key", tc.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, body, tc.wantStatus)
			}
			if tc.wantStatus == 401 {
				if len(body) != 0 {
					t.Errorf("a 401 has body %q; the host sends none", body)
				}
				if seenKey != "unset" {
					t.Error("an unauthorized request reached the custom handler")
				}
				return
			}
			if seenKey != "" || strings.Contains(seenQuery, "code") || seenQuery != tc.wantQuery {
				t.Errorf("the handler saw key %q, query %q; want no key and query %q", seenKey, seenQuery, tc.wantQuery)
			}
			if tc.wantStatus == 200 {
				var got sample.Response
				if err := json.Unmarshal(body, &got); err != nil || got.Platform != sample.PlatformAzure {
					t.Errorf("got %s (%v), want the Azure sample's answer", body, err)
				}
			}
		})
	}
}

func TestNewAzureHost(t *testing.T) {
	tests := []struct {
		name string
		key  string
		next http.Handler
	}{
		{"empty key", "", sample.AzureHandler()},
		{"no handler", functionKey, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := localcloud.NewAzureHost(tc.key, tc.next); err == nil {
				t.Fatal("got no error")
			}
		})
	}
}
