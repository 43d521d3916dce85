package httpapi_test

import (
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/fiso-dev/fiso/shared/httpapi"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestOpenAPIDocumentIsValid(t *testing.T) {
	bin, err := exec.LookPath("openapi-spec-validator")
	if err != nil {
		testenv.Require(t, "openapi-spec-validator (pip install openapi-spec-validator): %v", err)
	}
	out, err := exec.Command(bin, "openapi.yaml").CombinedOutput()
	if err != nil {
		t.Fatalf("openapi-spec-validator: %v\n%s", err, out)
	}
}

type document struct {
	OpenAPI string                    `yaml:"openapi"`
	Paths   map[string]map[string]any `yaml:"paths"`
}

func TestEveryRouteIsDocumented(t *testing.T) {
	var doc document
	if err := yaml.Unmarshal(httpapi.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	served := httpapi.New(nil, nil, httpapi.Options{}).Routes()
	sort.Strings(documented)
	sort.Strings(served)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("served route %q is not in openapi.yaml", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("openapi.yaml documents %q, which is not served", r)
		}
	}
}

// A YAML slip such as an unquoted ", " in a flow mapping silently turns text
// into a key with a null value; the validator does not always notice.
func TestDocumentHasNoNullValues(t *testing.T) {
	var doc any
	if err := yaml.Unmarshal(httpapi.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if c == nil {
					t.Errorf("null value at %s/%s", path, k)
				}
				walk(c, path+"/"+k)
			}
		case []any:
			for _, c := range x {
				walk(c, path+"/[]")
			}
		}
	}
	walk(doc, "")
}
