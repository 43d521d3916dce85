package stacks

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestMain needs node: the CDK's Go bindings run its JavaScript there. A
// machine without it skips these tests, except in CI, where that is a hole.
func TestMain(m *testing.M) {
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "node is not installed: the CDK tests need it (CI=true, so this fails)")
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "skipping the CDK tests: node is not installed")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeArtifacts writes what make build would: lambda/<name>.zip holding a
// bootstrap. The contents are not under test, only the template.
func fakeArtifacts(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "lambda"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		f, err := os.Create(filepath.Join(dir, "lambda", name+".zip"))
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		w, err := zw.Create("bootstrap")
		if err == nil {
			_, err = fmt.Fprintf(w, "#!/bin/sh\necho %s\n", name)
		}
		if err == nil {
			err = zw.Close()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// newTestApp is an app that writes into a temporary folder and bundles
// nothing (the assets are zips already; this keeps any future bundled asset
// from compiling in a unit test).
func newTestApp(t *testing.T) awscdk.App {
	t.Helper()
	return awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(t.TempDir()),
		Context: &map[string]any{"aws:cdk:bundling-stacks": []string{}},
	})
}

// synthesized is a stack's template, for the CDK assertions and as plain
// JSON for the checks that walk it.
type synthesized struct {
	tmpl assertions.Template
	json map[string]any
}

func synthesize(t *testing.T, stack awscdk.Stack) synthesized {
	t.Helper()
	tmpl := assertions.Template_FromStack(stack, nil)
	return synthesized{tmpl: tmpl, json: *tmpl.ToJSON()}
}

// check runs a CDK assertion, which panics when it fails, as a test error,
// so one failed assertion does not hide the others.
func check(t *testing.T, what string, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assert()
}

// resources returns the template's resources of type typ by logical ID.
func (s synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	all, _ := s.json["Resources"].(map[string]any)
	for id, r := range all {
		res, _ := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// logicalID finds the one resource of type typ whose property prop is
// value, such as a function by its Description.
func (s synthesized) logicalID(t *testing.T, typ, prop string, value any) string {
	t.Helper()
	var ids []string
	for id, r := range s.resources(typ) {
		props, _ := r["Properties"].(map[string]any)
		if props[prop] == value {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%s with %s %v: got %v, want exactly one", typ, prop, value, ids)
	}
	return ids[0]
}

// statement is one IAM policy statement with its actions and resources
// flattened to strings.
type statement struct {
	policy    string // logical ID of the AWS::IAM::Policy
	sid       string
	effect    string
	actions   []string
	resources []string
	condition map[string]any
}

// statements lists every statement of the template's IAM policies and of
// the roles' inline policies.
func (s synthesized) statements() []statement {
	var out []statement
	add := func(policy string, doc any) {
		d, _ := doc.(map[string]any)
		for _, st := range list(d["Statement"]) {
			m, _ := st.(map[string]any)
			one := statement{policy: policy, condition: map[string]any{}}
			one.sid, _ = m["Sid"].(string)
			one.effect, _ = m["Effect"].(string)
			for _, a := range list(m["Action"]) {
				one.actions = append(one.actions, render(a))
			}
			for _, r := range list(m["Resource"]) {
				one.resources = append(one.resources, render(r))
			}
			if c, ok := m["Condition"].(map[string]any); ok {
				one.condition = c
			}
			out = append(out, one)
		}
	}
	for id, r := range s.resources("AWS::IAM::Policy") {
		props, _ := r["Properties"].(map[string]any)
		add(id, props["PolicyDocument"])
	}
	for id, r := range s.resources("AWS::IAM::Role") {
		props, _ := r["Properties"].(map[string]any)
		for _, p := range list(props["Policies"]) {
			pm, _ := p.(map[string]any)
			add(id, pm["PolicyDocument"])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].policy+out[i].sid < out[j].policy+out[j].sid })
	return out
}

// policyOf is the logical ID of the policy attached to the role of the
// function fnID.
func (s synthesized) policyOf(t *testing.T, fnID string) string {
	t.Helper()
	fn := s.resources("AWS::Lambda::Function")[fnID]
	props, _ := fn["Properties"].(map[string]any)
	role := render(props["Role"]) // ${RoleID.Arn}
	roleID := strings.TrimSuffix(strings.TrimPrefix(role, "${"), ".Arn}")
	for id, p := range s.resources("AWS::IAM::Policy") {
		pp, _ := p["Properties"].(map[string]any)
		for _, r := range list(pp["Roles"]) {
			if render(r) == "${"+roleID+"}" {
				return id
			}
		}
	}
	t.Fatalf("no policy for the role %s of %s", roleID, fnID)
	return ""
}

func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

// render writes a CloudFormation value as a string: Ref and Fn::GetAtt as
// ${ID} and ${ID.Attr}, Fn::Join joined, anything else as JSON.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			return "${" + ref + "}"
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			return fmt.Sprintf("${%v.%v}", ga[0], ga[1])
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			var parts []string
			for _, p := range list(j[1]) {
				parts = append(parts, render(p))
			}
			return strings.Join(parts, sep)
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
