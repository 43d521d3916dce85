package gcp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/functions/samples/gcp"
)

func TestSample(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(gcp.Sample))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"k":"v"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"message":        "Hello from the FISO Sample App!",
		"platform":       "Google Cloud Functions",
		"go_version":     runtime.Version(),
		"received_bytes": float64(9),
	}
	if resp.StatusCode != 200 || len(got) != len(want) {
		t.Fatalf("got %d %v, want 200 %v", resp.StatusCode, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
}
