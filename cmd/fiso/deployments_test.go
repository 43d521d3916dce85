package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/orchestrator"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/testenv"
)

// importKey is the admin key of the FISO these tests register with.
const importKey = "fiso_import_test_admin_key_000000000000"

// The sensitive values in the recorded outputs, which must never reach FISO,
// stdout, stderr or a log.
const azureFunctionKey = "fake-function-key-for-tests-0123456789abcdefABCDEF=="

// fisoAPI is FISO's real HTTP API over an embedded store, on loopback, with
// a record of every request it received.
type fisoAPI struct {
	t    *testing.T
	url  string
	cp   *controlplane.ControlPlane
	logs *testenv.Buffer

	mu       sync.Mutex
	requests []string
	// beforePut, when set, runs once before the next PUT is served: a
	// concurrent writer.
	beforePut func()
}

func startFISOAPI(t *testing.T) *fisoAPI {
	t.Helper()
	cfg := controlplane.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.Store = controlplane.StoreEmbedded
	awsCfg := testenv.AWSConfig()
	logs := &testenv.Buffer{}
	cp, err := controlplane.New(context.Background(), cfg, controlplane.Options{
		AWS:      &awsCfg,
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Invokers: map[catalog.Provider]orchestrator.Invoker{},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Close() })
	k, err := apikey.New(importKey, "admin", apikey.Admin, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Store.PutKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	f := &fisoAPI{t: t, cp: cp, logs: logs}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path+" If-Match="+r.Header.Get("If-Match")+" "+string(body))
		hook := f.beforePut
		if r.Method == http.MethodPut {
			f.beforePut = nil
		} else {
			hook = nil
		}
		f.mu.Unlock()
		if hook != nil {
			hook()
		}
		cp.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// received lists the requests FISO received, as "METHOD PATH If-Match=... BODY".
func (f *fisoAPI) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fisoAPI) function(name string) catalog.Function {
	f.t.Helper()
	fn, err := f.cp.Store.GetFunction(context.Background(), name)
	if err != nil {
		f.t.Fatalf("get function %s: %v", name, err)
	}
	return fn
}

func (f *fisoAPI) putFunction(fn catalog.Function) catalog.Function {
	f.t.Helper()
	fn.UpdatedAt = time.Now()
	stored, _, err := f.cp.Store.PutFunction(context.Background(), fn, store.AnyVersion)
	if err != nil {
		f.t.Fatalf("put function %s: %v", fn.Name, err)
	}
	return stored
}

// assertNoLeak fails if a secret reached FISO (any request), the output or
// FISO's log.
func (f *fisoAPI) assertNoLeak(stdout, stderr string, secrets ...string) {
	f.t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, r := range f.received() {
			if strings.Contains(r, s) {
				f.t.Errorf("a secret was sent to FISO: %.120s", r)
			}
		}
		if strings.Contains(stdout, s) || strings.Contains(stderr, s) {
			f.t.Errorf("a secret was printed:\nstdout: %s\nstderr: %s", stdout, stderr)
		}
		if strings.Contains(f.logs.String(), s) {
			f.t.Error("a secret is in FISO's log")
		}
	}
}

// importCmd runs fiso deployments import against f with args (the FISO URL
// and key added) and the given stdin.
func (f *fisoAPI) importCmd(stdin io.Reader, args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	full := append([]string{"import", "--url", f.url, "--key", importKey}, args...)
	err := runDeployments(context.Background(), full, stdin, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func outputFile(provider string) string {
	return filepath.Join("testdata", "terraform-output-"+provider+".json")
}

// loadOutput decodes a recorded terraform output for a test to change.
func loadOutput(t *testing.T, provider string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(outputFile(provider))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// value is the value map of output name in a loaded terraform output.
func value(m map[string]any, name string) map[string]any {
	return m[name].(map[string]any)["value"].(map[string]any)
}

func writeOutput(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "terraform-output.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// gcpKey is the invoker_credentials value of the recorded GCP output.
func gcpKey(t *testing.T) string {
	t.Helper()
	return loadOutput(t, "gcp")["invoker_credentials"].(map[string]any)["value"].(string)
}

func TestDeploymentsImport(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		args     []string
		stdin    bool
		want     catalog.Deployment
		wantHint string
	}{
		{
			name: "aws", provider: "aws",
			want: catalog.Deployment{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1",
				Target: "arn:aws:lambda:us-east-1:123456789012:function:fiso-workload-sample", MemoryMB: 256, Arch: catalog.ARM64, Plan: "lambda"},
		},
		{
			name: "azure with an env reference", provider: "azure", args: []string{"--credential-ref", "env:FISO_SECRET_AZURE_SAMPLE_KEY"},
			want: catalog.Deployment{ID: "azure-eastus", Provider: catalog.Azure, Region: "eastus",
				Target: "https://fiso-workload-sample-3f9c2a1b.azurewebsites.net/api/sample", MemoryMB: 256, Arch: catalog.X86_64, Plan: "consumption",
				CredentialRef: "env:FISO_SECRET_AZURE_SAMPLE_KEY"},
			wantHint: "set it in the control plane's environment to `terraform output -raw function_key`",
		},
		{
			name: "gcp with a Secrets Manager reference, from stdin", provider: "gcp", stdin: true,
			args: []string{"--credential-ref", "secretsmanager:fiso/sample/gcp-invoker", "--id", "gcp-primary"},
			want: catalog.Deployment{ID: "gcp-primary", Provider: catalog.GCP, Region: "us-central1",
				Target: "https://fiso-workload-sample-x7k2m9q4ra-uc.a.run.app", MemoryMB: 256, Arch: catalog.X86_64, Plan: "gen2",
				CredentialRef: "secretsmanager:fiso/sample/gcp-invoker"},
			wantHint: "run again with --store-secret",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := startFISOAPI(t)
			args := append([]string{"--function", "sample"}, tc.args...)
			var stdin io.Reader = strings.NewReader("")
			if tc.stdin {
				b, err := os.ReadFile(outputFile(tc.provider))
				if err != nil {
					t.Fatal(err)
				}
				stdin = bytes.NewReader(b)
				args = append(args, "-")
			} else {
				args = append(args, outputFile(tc.provider))
			}
			stdout, stderr, err := api.importCmd(stdin, args...)
			if err != nil {
				t.Fatalf("import: %v\nstderr: %s", err, stderr)
			}
			got := api.function("sample")
			if diff := cmp.Diff([]catalog.Deployment{tc.want}, got.Deployments); diff != "" {
				t.Errorf("stored deployments (-want +got):\n%s", diff)
			}
			if want := "function sample (created, version 1): added deployment " + tc.want.ID + ": "; !strings.Contains(stdout, want) {
				t.Errorf("stdout %q does not say %q", stdout, want)
			}
			if !strings.Contains(stderr, tc.wantHint) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.wantHint)
			}
			api.assertNoLeak(stdout, stderr, azureFunctionKey, gcpKey(t), "fake-private-key-for-tests")
		})
	}
}

func TestDeploymentsImportIntoAnExistingFunction(t *testing.T) {
	api := startFISOAPI(t)
	api.putFunction(catalog.Function{Name: "orders", Description: "kept as it was", Deployments: []catalog.Deployment{
		{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: "arn:aws:lambda:us-east-1:123456789012:function:old-orders", Arch: catalog.X86_64, Plan: "lambda"},
		{ID: "gcp-europe-west1", Provider: catalog.GCP, Region: "europe-west1", Target: "https://orders-eu.a.run.app", Arch: catalog.X86_64, Plan: "gen2",
			CredentialRef: "env:FISO_SECRET_GCP_EU"},
	}})

	steps := []struct {
		args     []string
		wantSays string
	}{
		{[]string{outputFile("aws")}, "function orders (version 2): replaced deployment aws-us-east-1: aws us-east-1, plan lambda, arn:aws:lambda:us-east-1:123456789012:function:fiso-workload-sample"},
		{[]string{"--id", "azure-primary", "--credential-ref", "env:FISO_SECRET_AZ", outputFile("azure")}, "function orders (version 3): added deployment azure-primary: azure eastus, plan consumption"},
		{[]string{"--credential-ref", "env:FISO_SECRET_GCP_US", outputFile("gcp")}, "function orders (version 4): added deployment gcp-us-central1: gcp us-central1, plan gen2"},
	}
	for _, s := range steps {
		stdout, stderr, err := api.importCmd(nil, append([]string{"--function", "orders"}, s.args...)...)
		if err != nil {
			t.Fatalf("import %v: %v\nstderr: %s", s.args, err, stderr)
		}
		if !strings.Contains(stdout, s.wantSays) {
			t.Errorf("stdout %q does not say %q", stdout, s.wantSays)
		}
	}

	got := api.function("orders")
	if got.Description != "kept as it was" || got.Version != 4 {
		t.Errorf("description %q version %d, want the description kept and version 4", got.Description, got.Version)
	}
	ids := make([]string, len(got.Deployments))
	for i, d := range got.Deployments {
		ids[i] = d.ID
	}
	if diff := cmp.Diff([]string{"aws-us-east-1", "gcp-europe-west1", "azure-primary", "gcp-us-central1"}, ids); diff != "" {
		t.Errorf("deployment IDs (-want +got):\n%s", diff)
	}
	if d, _ := got.Deployment("aws-us-east-1"); d.Target != "arn:aws:lambda:us-east-1:123456789012:function:fiso-workload-sample" || d.Arch != catalog.ARM64 {
		t.Errorf("aws-us-east-1 = %+v, want the imported function (arm64)", d)
	}
	if d, _ := got.Deployment("gcp-europe-west1"); d.CredentialRef != "env:FISO_SECRET_GCP_EU" {
		t.Errorf("gcp-europe-west1 = %+v, want it untouched", d)
	}
	// Every write was conditional on the version just read.
	var puts []string
	for _, r := range api.received() {
		if strings.HasPrefix(r, "PUT ") {
			puts = append(puts, strings.SplitN(r, " ", 4)[2])
		}
	}
	if diff := cmp.Diff([]string{`If-Match="1"`, `If-Match="2"`, `If-Match="3"`}, puts); diff != "" {
		t.Errorf("PUT preconditions (-want +got):\n%s", diff)
	}
	api.assertNoLeak("", "", azureFunctionKey, gcpKey(t))
}

func TestDeploymentsImportRetriesWhenAnotherWriterWins(t *testing.T) {
	api := startFISOAPI(t)
	api.putFunction(catalog.Function{Name: "sample", Deployments: []catalog.Deployment{
		{ID: "gcp-europe-west1", Provider: catalog.GCP, Region: "europe-west1", Target: "https://sample-eu.a.run.app", Arch: catalog.X86_64, Plan: "gen2"},
	}})
	api.mu.Lock()
	api.beforePut = func() {
		fn := api.function("sample")
		fn.Description = "written concurrently"
		api.putFunction(fn)
	}
	api.mu.Unlock()

	stdout, stderr, err := api.importCmd(nil, "--function", "sample", outputFile("aws"))
	if err != nil {
		t.Fatalf("import: %v\nstderr: %s", err, stderr)
	}
	got := api.function("sample")
	if got.Description != "written concurrently" {
		t.Errorf("description %q: the concurrent write was lost", got.Description)
	}
	if _, ok := got.Deployment("aws-us-east-1"); !ok || len(got.Deployments) != 2 {
		t.Errorf("deployments %+v, want gcp-europe-west1 and aws-us-east-1", got.Deployments)
	}
	if !strings.Contains(stdout, "function sample (version 3): added deployment aws-us-east-1") {
		t.Errorf("stdout %q, want version 3 (the concurrent write was 2)", stdout)
	}
	var puts int
	for _, r := range api.received() {
		if strings.HasPrefix(r, "PUT ") {
			puts++
		}
	}
	if puts != 2 {
		t.Errorf("%d PUTs, want 2 (one refused with 409, one retried)", puts)
	}
}

func TestDeploymentsImportStoresTheSecret(t *testing.T) {
	endpoint := testenv.Moto(t)
	// The CLI builds its client from the environment, like an operator's.
	dir := t.TempDir()
	for k, v := range map[string]string{
		"FISO_SECRETSMANAGER_ENDPOINT": endpoint,
		"AWS_REGION":                   "us-east-1",
		"AWS_ACCESS_KEY_ID":            "testing",
		"AWS_SECRET_ACCESS_KEY":        "testing",
		"AWS_SESSION_TOKEN":            "",
		"AWS_PROFILE":                  "",
		"AWS_CONFIG_FILE":              filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":  filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":    "true",
	} {
		t.Setenv(k, v)
	}
	sm := secretsmanager.NewFromConfig(testenv.AWSConfig(), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(endpoint) })

	tests := []struct {
		provider, output string
		rotated          func(old string) string
	}{
		{"azure", "function_key", func(old string) string { return "rotated-" + old }},
		{"gcp", "invoker_credentials", func(old string) string {
			return strings.Replace(old, "fake-private-key-for-tests", "rotated-fake-private-key", 1)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.provider, func(t *testing.T) {
			api := startFISOAPI(t)
			secretID := "fiso/test/import-" + tc.provider + "-" + strings.ToLower(rand.Text()[:8])
			ref := "secretsmanager:" + secretID
			out := loadOutput(t, tc.provider)
			first := out[tc.output].(map[string]any)["value"].(string)

			stdout, stderr, err := api.importCmd(nil, "--function", "sample", "--credential-ref", ref, "--store-secret", outputFile(tc.provider))
			if err != nil {
				t.Fatalf("import: %v\nstderr: %s", err, stderr)
			}
			if want := "stored the " + credentialNoun[catalog.Provider(tc.provider)] + " in Secrets Manager secret " + secretID; !strings.Contains(stderr, want) {
				t.Errorf("stderr %q does not say %q", stderr, want)
			}
			assertSecret(t, sm, secretID, first)

			second := tc.rotated(first)
			out[tc.output].(map[string]any)["value"] = second
			stdout2, stderr2, err := api.importCmd(nil, "--function", "sample", "--credential-ref", ref, "--store-secret", writeOutput(t, out))
			if err != nil {
				t.Fatalf("second import: %v\nstderr: %s", err, stderr2)
			}
			if !strings.Contains(stderr2, "updated the ") {
				t.Errorf("stderr %q does not say the secret was updated", stderr2)
			}
			assertSecret(t, sm, secretID, second)

			got := api.function("sample")
			if len(got.Deployments) != 1 || got.Deployments[0].CredentialRef != ref {
				t.Errorf("deployments %+v, want one, referring to %s", got.Deployments, ref)
			}
			api.assertNoLeak(stdout+stdout2, stderr+stderr2, first, second)
		})
	}
}

func assertSecret(t *testing.T, sm *secretsmanager.Client, id, want string) {
	t.Helper()
	out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatalf("read secret %s: %v", id, err)
	}
	if got := aws.ToString(out.SecretString); got != want {
		t.Errorf("secret %s holds %d bytes that are not the credential output's %d", id, len(got), len(want))
	}
}

func TestDeploymentsImportBadInput(t *testing.T) {
	// change returns a path to the recorded output of provider after edit.
	change := func(provider string, edit func(m map[string]any)) func(t *testing.T) string {
		return func(t *testing.T) string {
			m := loadOutput(t, provider)
			edit(m)
			return writeOutput(t, m)
		}
	}
	raw := func(text string) func(t *testing.T) string {
		return func(t *testing.T) string { return writeOutput(t, json.RawMessage(text)) }
	}
	file := func(provider string) func(t *testing.T) string {
		return func(*testing.T) string { return outputFile(provider) }
	}
	tests := []struct {
		name  string
		input func(t *testing.T) string
		args  []string
		// setup prepares FISO; reachesFISO says the command may read from
		// it (it never writes on a failure).
		setup       func(api *fisoAPI)
		reachesFISO bool
		wantErr     string
		wantUsage   bool
	}{
		{name: "not JSON", input: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "out.txt")
			if err := os.WriteFile(p, []byte("Warning: No outputs found\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}, wantErr: "it is not the JSON object `terraform output -json` prints"},
		{name: "no outputs", input: raw(`{}`), wantErr: "there are no outputs; run `terraform apply`"},
		{name: "one output's value", input: func(t *testing.T) string {
			return writeOutput(t, value(loadOutput(t, "aws"), "fiso_deployment"))
		}, wantErr: "this is the value of one output"},
		{name: "another module's outputs", input: raw(`{"bucket": {"sensitive": false, "type": "string", "value": "b"}}`),
			wantErr: `no "fiso_deployment" output among bucket`},
		{name: "missing target", input: change("aws", func(m map[string]any) { delete(value(m, "fiso_deployment"), "target") }),
			wantErr: `output "fiso_deployment" lacks target`},
		{name: "wrong provider", input: change("aws", func(m map[string]any) { value(m, "fiso_deployment")["provider"] = "oracle" }),
			wantErr: `provider "oracle" is not one of aws, azure, gcp`},
		{name: "invalid aws region", input: change("aws", func(m map[string]any) { value(m, "fiso_deployment")["region"] = "moon-1" }),
			wantErr: `fiso_deployment.region: "moon-1" is not a aws region name`},
		{name: "invalid azure region", input: change("azure", func(m map[string]any) { value(m, "fiso_deployment")["region"] = "East US" }),
			args: []string{"--credential-ref", "env:FISO_SECRET_AZ"}, wantErr: `"East US" is not a azure region name`},
		{name: "plan of another provider", input: change("aws", func(m map[string]any) { value(m, "fiso_deployment")["plan"] = "gen2" }),
			wantErr: `fiso_deployment.plan: plan "gen2" is not one of aws's plans`},
		{name: "fractional memory", input: change("gcp", func(m map[string]any) { value(m, "fiso_deployment")["memory_mb"] = 256.5 }),
			args: []string{"--credential-ref", "env:FISO_SECRET_G"}, wantErr: "memory_mb 256.5 is not a whole number"},
		{name: "missing file", input: func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.json") },
			wantErr: `read terraform output "`},
		{name: "no --function", input: file("aws"), args: []string{"--function", ""}, wantErr: "needs --function", wantUsage: true},
		{name: "bad function name", input: file("aws"), args: []string{"--function", "not a name!"}, wantErr: `--function: function name "not a name!" must be`},
		{name: "bad deployment ID", input: file("aws"), args: []string{"--id", "Prod_1"}, wantErr: `--id: id "Prod_1" must be`},
		{name: "azure without a credential reference", input: file("azure"), wantErr: "azure deployments need --credential-ref", wantUsage: true},
		{name: "aws with a credential reference", input: file("aws"), args: []string{"--credential-ref", "env:FISO_SECRET_X"},
			wantErr: "invoked with the control plane's own IAM role", wantUsage: true},
		{name: "reference outside FISO's secrets", input: file("azure"), args: []string{"--credential-ref", "env:AWS_SECRET_ACCESS_KEY"},
			wantErr: "must be named FISO_SECRET_*", wantUsage: true},
		{name: "store-secret with an env reference", input: file("azure"), args: []string{"--credential-ref", "env:FISO_SECRET_AZ", "--store-secret"},
			wantErr: "--store-secret writes to Secrets Manager", wantUsage: true},
		{name: "store-secret without the key output", input: change("azure", func(m map[string]any) { delete(m, "function_key") }),
			args: []string{"--credential-ref", "secretsmanager:fiso/az", "--store-secret"}, wantErr: `no "function_key" output`},
		{name: "store-secret without a GCP key", input: change("gcp", func(m map[string]any) {
			m["invoker_credentials"].(map[string]any)["value"] = nil
		}), args: []string{"--credential-ref", "secretsmanager:fiso/gcp", "--store-secret"}, wantErr: "create_invoker_key = false"},
		{name: "store-secret with something else than a key", input: change("gcp", func(m map[string]any) {
			m["invoker_credentials"].(map[string]any)["value"] = `{"type": "authorized_user"}`
		}), args: []string{"--credential-ref", "secretsmanager:fiso/gcp", "--store-secret"}, wantErr: "is not a service-account JSON key"},
		{name: "wrong API key", input: file("aws"), args: []string{"--key", "fiso_not_a_key"}, reachesFISO: true, wantErr: "HTTP 401"},
		{name: "target registered under another ID", input: file("aws"), reachesFISO: true,
			setup: func(api *fisoAPI) {
				api.putFunction(catalog.Function{Name: "sample", Deployments: []catalog.Deployment{{ID: "prod", Provider: catalog.AWS, Region: "us-east-1",
					Target: "arn:aws:lambda:us-east-1:123456789012:function:fiso-workload-sample", Plan: "lambda", Arch: catalog.ARM64}}})
			},
			wantErr: "deployment prod already has target arn:aws:lambda:us-east-1:123456789012:function:fiso-workload-sample; pass --id prod"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := startFISOAPI(t)
			if tc.setup != nil {
				tc.setup(api)
			}
			args := append([]string{"--function", "sample"}, tc.args...)
			args = append(args, tc.input(t))
			stdout, stderr, err := api.importCmd(nil, args...)
			if err == nil {
				t.Fatalf("import succeeded, want an error containing %q\nstdout: %s", tc.wantErr, stdout)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			var ue usageError
			if got := errors.As(err, &ue); got != tc.wantUsage {
				t.Errorf("usage error = %v, want %v (%v)", got, tc.wantUsage, err)
			}
			for _, r := range api.received() {
				if !tc.reachesFISO || !strings.HasPrefix(r, "GET ") {
					t.Errorf("FISO received %.80q on a failed import", r)
				}
			}
			api.assertNoLeak(stdout+err.Error(), stderr, azureFunctionKey, gcpKey(t), "fake-private-key-for-tests")
		})
	}
}

func TestDeploymentsCommand(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"deployments"}, "usage: fiso deployments import"},
		{[]string{"deployments", "list"}, "usage: fiso deployments import"},
		{[]string{"deployments", "import", "--function", "f", "--key", "k", "a.json", "b.json"}, "usage: fiso deployments import"},
		{[]string{"deployments", "import", "--function", "f", "--key", "k", "--no-such-flag"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got %v, want a usage error containing %q", err, tc.wantErr)
			}
		})
	}
}
