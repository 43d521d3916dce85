package main

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// The host reads these files, not Go: check the fields FISO's deployment
// depends on, since a typo here only shows up in Azure.
func TestHostJSON(t *testing.T) {
	var host struct {
		Version         string `json:"version"`
		ExtensionBundle struct {
			ID      string `json:"id"`
			Version string `json:"version"`
		} `json:"extensionBundle"`
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
			} `json:"description"`
			EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
		} `json:"customHandler"`
	}
	decodeJSON(t, "host.json", &host)
	switch {
	case host.Version != "2.0":
		t.Errorf("version = %q, want 2.0", host.Version)
	case host.ExtensionBundle.ID != "Microsoft.Azure.Functions.ExtensionBundle" || host.ExtensionBundle.Version == "":
		t.Errorf("extensionBundle = %+v", host.ExtensionBundle)
	case host.CustomHandler.Description.DefaultExecutablePath != "handler":
		t.Errorf("defaultExecutablePath = %q, want handler", host.CustomHandler.Description.DefaultExecutablePath)
	case !host.CustomHandler.EnableForwardingHTTPRequest:
		t.Error("enableForwardingHttpRequest is not true")
	}
}

func TestFunctionJSON(t *testing.T) {
	var fn struct {
		Bindings []struct {
			Type      string   `json:"type"`
			Direction string   `json:"direction"`
			Name      string   `json:"name"`
			AuthLevel string   `json:"authLevel"`
			Methods   []string `json:"methods"`
			Route     string   `json:"route"`
		} `json:"bindings"`
	}
	decodeJSON(t, "sample/function.json", &fn)
	if len(fn.Bindings) != 2 {
		t.Fatalf("got %d bindings, want 2", len(fn.Bindings))
	}
	in, out := fn.Bindings[0], fn.Bindings[1]
	if in.Type != "httpTrigger" || in.Direction != "in" || in.AuthLevel != "function" || in.Route != "sample" {
		t.Errorf("trigger = %+v", in)
	}
	if m := slices.Sorted(slices.Values(in.Methods)); !slices.Equal(m, []string{"get", "post"}) {
		t.Errorf("methods = %v, want get and post", in.Methods)
	}
	if out.Type != "http" || out.Direction != "out" {
		t.Errorf("output = %+v", out)
	}
}

// decodeJSON reads path, which must be valid JSON, into v.
func decodeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("%s is not valid JSON", path)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}
