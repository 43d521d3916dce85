// Package terraform_test checks the Terraform modules that deploy the sample
// workload (terraform/aws, terraform/azure, terraform/gcp) without Terraform
// or its providers: formatting as `terraform fmt` would leave it, the module
// structure that `fiso deployments import` relies on, and that nothing secret
// is committed with them.
package terraform_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/hashicorp/terraform-config-inspect/tfconfig"
	"github.com/zclconf/go-cty/cty"

	"github.com/fiso-dev/fiso/shared/catalog"
)

// module describes what each module must provide.
type module struct {
	dir      string
	provider catalog.Provider
	// source is the registry address of the module's one provider.
	source string
	// credential is the sensitive output the import stores for FISO; ""
	// where FISO needs none (AWS: it invokes with its own IAM role).
	credential string
	// artifact is where `make build` writes the package the module deploys.
	artifact string
	// forbidden are provider arguments that would put credentials in code.
	forbidden []string
}

var modules = []module{
	{
		dir: "aws", provider: catalog.AWS, source: "hashicorp/aws", artifact: "../../dist/lambda/sample.zip",
		forbidden: []string{"access_key", "secret_key", "token", "shared_credentials_files", "profile"},
	},
	{
		dir: "azure", provider: catalog.Azure, source: "hashicorp/azurerm", credential: "function_key", artifact: "../../dist/azure/sample.zip",
		forbidden: []string{"client_secret", "client_certificate", "client_certificate_password", "client_certificate_path", "subscription_id", "tenant_id", "client_id"},
	},
	{
		dir: "gcp", provider: catalog.GCP, source: "hashicorp/google", credential: "invoker_credentials", artifact: "../../dist/gcp/sample-source.zip",
		forbidden: []string{"credentials", "access_token"},
	},
}

// sharedVariables mean the same in every module, so one set of values
// deploys the identical workload to each cloud.
var sharedVariables = []string{"name", "region", "memory_mb", "timeout_seconds", "tags", "package_path", "function_name"}

// deploymentFields are the fields of catalog.Deployment that the
// fiso_deployment output carries (the import adds id and credential_ref).
var deploymentFields = []string{"arch", "memory_mb", "plan", "provider", "region", "target"}

// requiredFiles is the layout STYLE.md asks of every module.
var requiredFiles = []string{"README.md", "main.tf", "outputs.tf", "variables.tf", "versions.tf"}

func TestModulesAreFormatted(t *testing.T) {
	for _, m := range modules {
		files, err := filepath.Glob(filepath.Join(m.dir, "*.tf"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("%s: no .tf files", m.dir)
		}
		for _, path := range files {
			t.Run(path, func(t *testing.T) {
				src, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if _, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos); diags.HasErrors() {
					t.Fatalf("%s does not parse: %s", path, diags.Error())
				}
				if got := hclwrite.Format(src); !bytes.Equal(got, src) {
					t.Errorf("%s is not formatted (run terraform fmt); diff by line (-file +formatted):\n%s", path,
						cmp.Diff(strings.Split(string(src), "\n"), strings.Split(string(got), "\n")))
				}
			})
		}
	}
}

func TestModuleStructure(t *testing.T) {
	for _, m := range modules {
		t.Run(m.dir, func(t *testing.T) {
			for _, f := range requiredFiles {
				if _, err := os.Stat(filepath.Join(m.dir, f)); err != nil {
					t.Errorf("missing %s/%s: %v", m.dir, f, err)
				}
			}
			mod, diags := tfconfig.LoadModule(m.dir)
			if diags.HasErrors() {
				t.Fatalf("load %s: %v", m.dir, diags.Err())
			}

			if len(mod.RequiredCore) == 0 {
				t.Error("terraform.required_version is not set")
			}
			providers := make([]string, 0, len(mod.RequiredProviders))
			for name, req := range mod.RequiredProviders {
				providers = append(providers, name)
				if req.Source == "" {
					t.Errorf("provider %s has no source", name)
				}
				if !bounded(req.VersionConstraints) {
					t.Errorf("provider %s version %q is not pinned to a major version (use ~> X.Y)", name, req.VersionConstraints)
				}
			}
			sort.Strings(providers)
			wantProvider := strings.TrimPrefix(m.source, "hashicorp/")
			if diff := cmp.Diff([]string{wantProvider}, providers); diff != "" {
				t.Errorf("required providers (-want +got):\n%s", diff)
			} else if got := mod.RequiredProviders[wantProvider].Source; got != m.source {
				t.Errorf("provider %s source = %q, want %q", wantProvider, got, m.source)
			}

			for _, name := range sharedVariables {
				v, ok := mod.Variables[name]
				switch {
				case !ok:
					t.Errorf("variable %q is not declared", name)
				case v.Required:
					t.Errorf("variable %q has no default; the shared variables must all have one", name)
				}
			}
			for name, v := range mod.Variables {
				if v.Description == "" {
					t.Errorf("variable %q has no description", name)
				}
				if v.Type == "" {
					t.Errorf("variable %q has no type", name)
				}
			}
			for name, o := range mod.Outputs {
				if o.Description == "" {
					t.Errorf("output %q has no description", name)
				}
			}

			dep, ok := mod.Outputs["fiso_deployment"]
			if !ok {
				t.Fatal("output fiso_deployment is not declared")
			}
			if dep.Sensitive {
				t.Error("output fiso_deployment is sensitive; it must be readable by the import")
			}
			if m.credential != "" {
				cred, ok := mod.Outputs[m.credential]
				switch {
				case !ok:
					t.Errorf("credential output %q is not declared", m.credential)
				case !cred.Sensitive:
					t.Errorf("credential output %q is not marked sensitive", m.credential)
				}
			}
			for name, o := range mod.Outputs {
				if name != m.credential && o.Sensitive {
					t.Errorf("output %q is sensitive but is not the module's credential output %q", name, m.credential)
				}
			}
		})
	}
}

// TestDeploymentOutputMatchesCatalog reads the literal parts of each
// fiso_deployment output and checks them against the catalog's rules, so a
// module cannot promise FISO a provider, plan or architecture it rejects.
func TestDeploymentOutputMatchesCatalog(t *testing.T) {
	for _, m := range modules {
		t.Run(m.dir, func(t *testing.T) {
			body := parseDir(t, m.dir)
			attrs := outputObject(t, body, "fiso_deployment")
			keys := make([]string, 0, len(attrs))
			for k := range attrs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if diff := cmp.Diff(deploymentFields, keys); diff != "" {
				t.Fatalf("fiso_deployment fields (-want +got):\n%s", diff)
			}
			d := catalog.Deployment{
				Provider: catalog.Provider(literal(t, attrs["provider"], "provider")),
				Arch:     catalog.Arch(literal(t, attrs["arch"], "arch")),
				Plan:     literal(t, attrs["plan"], "plan"),
			}
			if d.Provider != m.provider {
				t.Errorf("provider = %q, want %q", d.Provider, m.provider)
			}
			if !slices.Contains(catalog.PlansOf(d.Provider), d.Plan) {
				t.Errorf("plan %q is not one of %s's plans %v", d.Plan, d.Provider, catalog.PlansOf(d.Provider))
			}
			if d.Arch != catalog.X86_64 && (d.Arch != catalog.ARM64 || d.Provider != catalog.AWS) {
				t.Errorf("arch %q is not one %s functions run on", d.Arch, d.Provider)
			}
			for _, field := range []string{"region", "memory_mb"} {
				if got, want := traversal(attrs[field]), "var."+field; got != want {
					t.Errorf("%s = %s, want %s (the shared variable)", field, got, want)
				}
			}
		})
	}
}

// TestModulesDeployTheBuiltArtifacts ties each module's default package path
// to where `make build` writes it.
func TestModulesDeployTheBuiltArtifacts(t *testing.T) {
	for _, m := range modules {
		t.Run(m.dir, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(m.dir, "main.tf"))
			if err != nil {
				t.Fatal(err)
			}
			want := `coalesce(var.package_path, "${path.module}/` + m.artifact + `")`
			if !bytes.Contains(src, []byte(want)) {
				t.Errorf("%s/main.tf does not default package_path with %s", m.dir, want)
			}
		})
	}
}

// TestProvidersCarryNoCredentials checks that provider blocks leave
// authentication to the environment.
func TestProvidersCarryNoCredentials(t *testing.T) {
	for _, m := range modules {
		t.Run(m.dir, func(t *testing.T) {
			body := parseDir(t, m.dir)
			found := 0
			for _, b := range body.Blocks {
				if b.Type != "provider" {
					continue
				}
				found++
				for name := range b.Body.Attributes {
					if slices.Contains(m.forbidden, name) {
						t.Errorf("provider %q sets %q; authenticate through the environment instead", b.Labels[0], name)
					}
				}
			}
			if found == 0 {
				t.Error("no provider block: the module sets the provider's region from var.region")
			}
		})
	}
}

// secretPatterns are shapes of credentials that must never be committed.
var secretPatterns = []struct {
	name string
	re   *regexp.Regexp
}{
	{"private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
	{"AWS access key ID", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"AWS secret access key", regexp.MustCompile(`(?i)aws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+=]{40}`)},
	{"GCP service-account key", regexp.MustCompile(`"private_key_id"\s*:\s*"[0-9a-f]{16,}"`)},
	{"client secret", regexp.MustCompile(`(?i)client_secret\s*[=:]\s*"[^"$\s]+"`)},
	{"Azure storage key", regexp.MustCompile(`AccountKey=[A-Za-z0-9+/]{40,}`)},
	{"SAS signature", regexp.MustCompile(`[?&]sig=[A-Za-z0-9%+/]{20,}`)},
	{"function key in a URL", regexp.MustCompile(`[?&]code=[A-Za-z0-9_\-]{20,}`)},
}

// findSecrets names the credential-looking strings in text.
func findSecrets(text string) []string {
	var found []string
	for _, p := range secretPatterns {
		if p.re.MatchString(text) {
			found = append(found, p.name)
		}
	}
	return found
}

func TestSecretPatterns(t *testing.T) {
	// The samples are assembled at run time so that this file does not
	// itself look like it holds credentials, to this test or to scanners.
	begin := "-----BEGIN "
	tests := []struct {
		name, text string
		want       []string
	}{
		{"pem key", "key = <<EOF\n" + begin + "PRIVATE KEY-----\nMIIE\nEOF", []string{"private key"}},
		{"rsa key", begin + "RSA PRIVATE KEY-----", []string{"private key"}},
		{"access key id", `access_key = "` + "AKIA" + strings.Repeat("Q", 16) + `"`, []string{"AWS access key ID"}},
		{"secret access key", "aws_secret_access_key" + " = " + strings.Repeat("a1B2", 10), []string{"AWS secret access key"}},
		{"service account json", `{"type": "service_account", "private_key_id"` + `: "` + strings.Repeat("0a", 10) + `"}`, []string{"GCP service-account key"}},
		{"client secret literal", "client_secret" + ` = "s3cr3t-value"`, []string{"client secret"}},
		{"connection string", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + strings.Repeat("A", 86) + "==", []string{"Azure storage key"}},
		{"sas url", "https://x.blob.core.windows.net/c/b.zip?sv=2022&sig=" + strings.Repeat("a", 40), []string{"SAS signature"}},
		{"function key url", "https://app.azurewebsites.net/api/sample?code=" + strings.Repeat("k", 40), []string{"function key in a URL"}},
		{"variable reference", `client_secret = var.client_secret`, nil},
		{"interpolation", `client_secret = "${var.client_secret}"`, nil},
		{"prose", "Never commit a client_secret or an access key; authenticate with az login.", nil},
		{"sensitive output", "value = data.azurerm_function_app_host_keys.this.default_function_key", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, findSecrets(tc.text)); diff != "" {
				t.Errorf("findSecrets (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNoSecretsCommitted looks at every file under terraform/ that git would
// commit (tracked, or untracked and not ignored): no state, no variable
// files (their values are often secrets), no credential-looking strings.
func TestNoSecretsCommitted(t *testing.T) {
	files := committable(t)
	if len(files) == 0 {
		t.Fatal("found no files under terraform/")
	}
	for _, path := range files {
		base := filepath.Base(path)
		switch {
		case strings.Contains(base, ".tfstate"):
			t.Errorf("%s: Terraform state is never committed (it holds the function key and service-account key)", path)
		case strings.HasSuffix(base, ".tfvars") || strings.HasSuffix(base, ".tfvars.json"):
			t.Errorf("%s: variable files are not committed; pass -var or TF_VAR_* instead", path)
		case strings.HasSuffix(base, ".json") && isCredentialsJSON(path):
			t.Errorf("%s: looks like a credentials file", path)
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if found := findSecrets(string(src)); len(found) > 0 {
			t.Errorf("%s contains what looks like a credential: %s", path, strings.Join(found, ", "))
		}
	}
}

// committable lists the files under the current directory that git would
// commit; without git (or outside a work tree) it walks the directory,
// skipping provider caches.
func committable(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", ".").Output()
	if err == nil {
		var files []string
		for _, f := range strings.Split(string(out), "\x00") {
			if f == "" {
				continue
			}
			if _, err := os.Stat(f); err == nil { // deleted in the work tree
				files = append(files, f)
			}
		}
		return files
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) && !errors.Is(err, exec.ErrNotFound) {
		t.Fatalf("git ls-files: %v", err)
	}
	var files []string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".terraform":
			return filepath.SkipDir
		case !d.IsDir():
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk terraform/: %v", err)
	}
	return files
}

func isCredentialsJSON(path string) bool {
	src, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	return regexp.MustCompile(`"type"\s*:\s*"(service_account|external_account|authorized_user)"`).Match(src)
}

// bounded reports whether constraints pin a provider below its next major
// version (a "~>" or a "<" constraint).
func bounded(constraints []string) bool {
	for _, c := range constraints {
		if strings.Contains(c, "~>") || strings.Contains(c, "<") {
			return true
		}
	}
	return false
}

// parseDir parses every .tf file of dir into one body.
func parseDir(t *testing.T, dir string) *hclsyntax.Body {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	p := hclparse.NewParser()
	merged := &hclsyntax.Body{}
	for _, path := range files {
		f, diags := p.ParseHCLFile(path)
		if diags.HasErrors() {
			t.Fatalf("parse %s: %s", path, diags.Error())
		}
		b := f.Body.(*hclsyntax.Body)
		merged.Blocks = append(merged.Blocks, b.Blocks...)
	}
	return merged
}

// outputObject returns the object constructor that output name's value is,
// by key.
func outputObject(t *testing.T, body *hclsyntax.Body, name string) map[string]hclsyntax.Expression {
	t.Helper()
	for _, b := range body.Blocks {
		if b.Type != "output" || len(b.Labels) != 1 || b.Labels[0] != name {
			continue
		}
		attr, ok := b.Body.Attributes["value"]
		if !ok {
			t.Fatalf("output %s has no value", name)
		}
		obj, ok := attr.Expr.(*hclsyntax.ObjectConsExpr)
		if !ok {
			t.Fatalf("output %s is a %T, want an object { ... }", name, attr.Expr)
		}
		out := map[string]hclsyntax.Expression{}
		for _, item := range obj.Items {
			key := hcl.ExprAsKeyword(item.KeyExpr)
			if key == "" {
				t.Fatalf("output %s has a key that is not a plain name", name)
			}
			out[key] = item.ValueExpr
		}
		return out
	}
	t.Fatalf("no output %q", name)
	return nil
}

// literal is the value of a constant string expression.
func literal(t *testing.T, e hclsyntax.Expression, field string) string {
	t.Helper()
	if e == nil {
		t.Fatalf("%s is missing", field)
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || !v.Type().Equals(cty.String) {
		t.Fatalf("%s is not a constant string (%s)", field, diags.Error())
	}
	return v.AsString()
}

// traversal renders a plain reference such as var.region, or describes
// anything else.
func traversal(e hclsyntax.Expression) string {
	st, ok := e.(*hclsyntax.ScopeTraversalExpr)
	if !ok {
		return fmt.Sprintf("a %T", e)
	}
	parts := []string{st.Traversal.RootName()}
	for _, step := range st.Traversal[1:] {
		if a, ok := step.(hcl.TraverseAttr); ok {
			parts = append(parts, a.Name)
		}
	}
	return strings.Join(parts, ".")
}
