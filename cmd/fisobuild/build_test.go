package main

import (
	"archive/zip"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const module = "github.com/fiso-dev/fiso"

func testBuilder(t *testing.T) *builder {
	t.Helper()
	b, err := newBuilder(t.Context(), "go", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkBinary asserts that path is a static Linux executable for machine,
// built from mainPkg with the flags every artifact shares (and tags).
func checkBinary(t *testing.T, path string, machine elf.Machine, mainPkg, tags string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s is not an ELF executable: %v", path, err)
	}
	defer f.Close()
	if f.Machine != machine || f.Type != elf.ET_EXEC {
		t.Errorf("%s: machine %v type %v, want %v ET_EXEC", path, f.Machine, f.Type, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked", path)
		}
	}
	// -ldflags="-s -w" leaves no symbol table and no DWARF (with
	// -trimpath, build info does not record ldflags).
	if syms, _ := f.Symbols(); len(syms) != 0 {
		t.Errorf("%s has %d symbols, want none (-s)", path, len(syms))
	}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".debug") || strings.HasPrefix(s.Name, ".zdebug") {
			t.Errorf("%s has DWARF section %s, want none (-w)", path, s.Name)
		}
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("read build info of %s: %v", path, err)
	}
	if info.Path != mainPkg {
		t.Errorf("%s was built from %s, want %s", path, info.Path, mainPkg)
	}
	got := map[string]string{}
	for _, s := range info.Settings {
		got[s.Key] = s.Value
	}
	goarch := map[elf.Machine]string{elf.EM_AARCH64: "arm64", elf.EM_X86_64: "amd64"}[machine]
	want := map[string]string{"GOOS": "linux", "GOARCH": goarch, "CGO_ENABLED": "0", "-trimpath": "true", "-tags": tags}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: build setting %s = %q, want %q", path, k, got[k], v)
		}
	}
}

func TestBootstrapIsAStaticARM64Lambda(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "artifacts")
	if err := testBuilder(t).bootstrap(t.Context(), "sample", dir); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bootstrap")
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("bootstrap mode %v is not executable", fi.Mode())
	}
	checkBinary(t, bin, elf.EM_AARCH64, module+"/functions/samples/aws", "lambda.norpc")
}

func TestBootstrapOfAnUnknownFunction(t *testing.T) {
	err := testBuilder(t).bootstrap(t.Context(), "nope", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "api, pricing, retrain, finops, sample") {
		t.Errorf("bootstrap(nope) error = %v, want one listing the functions", err)
	}
}

func TestRunNeedsAnOutputForBootstrap(t *testing.T) {
	err := run(t.Context(), []string{"-bootstrap", "api"}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ARTIFACTS_DIR") {
		t.Errorf("run -bootstrap api without -o: error = %v, want one naming ARTIFACTS_DIR", err)
	}
}

func TestAzurePackage(t *testing.T) {
	b := testBuilder(t)
	dst := filepath.Join(t.TempDir(), "azure", "sample.zip")
	if err := b.azurePackage(t.Context(), t.TempDir(), dst); err != nil {
		t.Fatal(err)
	}
	names, files := readZip(t, dst)
	if diff := cmp.Diff([]string{"handler", "host.json", "sample/function.json"}, names); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
	for _, name := range []string{"host.json", "sample/function.json"} {
		src, err := os.ReadFile(filepath.Join(b.root, azureSampleDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if files[name].Data != string(src) || files[name].Mode != 0o644 {
			t.Errorf("%s: mode %v, content differs from the source: %v", name, files[name].Mode, files[name].Data != string(src))
		}
	}
	if files["handler"].Mode != 0o755 {
		t.Errorf("handler mode %v, want 0755", files["handler"].Mode)
	}
	bin := filepath.Join(t.TempDir(), "handler")
	if err := os.WriteFile(bin, []byte(files["handler"].Data), 0o755); err != nil {
		t.Fatal(err)
	}
	checkBinary(t, bin, elf.EM_X86_64, module+"/functions/samples/azure", "")
}

func TestHandlerName(t *testing.T) {
	for _, tc := range []struct {
		name, host, want string
	}{
		{"named", `{"customHandler":{"description":{"defaultExecutablePath":"handler"}}}`, "handler"},
		{"missing", `{"version":"2.0"}`, ""},
		{"in a folder", `{"customHandler":{"description":{"defaultExecutablePath":"bin/handler"}}}`, ""},
		{"not JSON", `{`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := handlerName([]byte(tc.host))
			if got != tc.want || (err != nil) != (tc.want == "") {
				t.Errorf("handlerName(%s) = %q, %v; want %q", tc.host, got, err, tc.want)
			}
		})
	}
}

// buildpackMain stands in for the main package Cloud Functions generates
// for a Go function (GoogleCloudPlatform/buildpacks, go/functions_framework):
// it imports the module's root package and registers the entry point found
// by name, asserting at run time that it is an HTTP function.
const buildpackMain = `package main

import (
	"context"
	"log"
	"net/http"
	"os"

	userfunction "github.com/fiso-dev/fiso"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	_ "github.com/cloudevents/sdk-go/v2"
)

func main() {
	var fn any = userfunction.Sample
	h, ok := fn.(func(http.ResponseWriter, *http.Request))
	if !ok {
		log.Fatalf("the entry point Sample is a %T, not an HTTP function", fn)
	}
	if err := funcframework.RegisterHTTPFunctionContext(context.Background(), "/", h); err != nil {
		log.Fatalf("register: %v", err)
	}
	if err := funcframework.StartHostPort("127.0.0.1", os.Getenv("PORT")); err != nil {
		log.Fatalf("serve: %v", err)
	}
}
`

// TestGCPBundleBuilds unpacks the source bundle and builds it as Cloud
// Functions would: the bundle alone (go build, go vet, with the module
// proxy for anything the module cache lacks), then with the generated main
// package after go mod tidy, and calls the result.
func TestGCPBundleBuilds(t *testing.T) {
	b := testBuilder(t)
	dst := filepath.Join(t.TempDir(), "sample-source.zip")
	if err := b.gcpBundle(t.Context(), dst); err != nil {
		t.Fatal(err)
	}
	names, files := readZip(t, dst)
	wantNames := []string{"function.go", "functions/samples/gcp/function.go", "functions/samples/sample/sample.go", "go.mod", "go.sum"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("bundle files (-want +got):\n%s", diff)
	}
	for _, want := range []string{"module " + module + "\n", frameworkModule + " v", "github.com/aws/aws-lambda-go v"} {
		if !strings.Contains(files["go.mod"].Data, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, files["go.mod"].Data)
		}
	}
	if strings.Contains(files["go.mod"].Data, "toolchain") {
		t.Errorf("go.mod pins a toolchain:\n%s", files["go.mod"].Data)
	}

	dir := unpack(t, dst)
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly", "CGO_ENABLED=0")
	goRun(t, dir, env, "build", "./...")
	goRun(t, dir, env, "vet", "./...")

	// What the buildpack does: write its main under functions.local/app,
	// go mod tidy, build that package.
	if err := os.MkdirAll(filepath.Join(dir, "functions.local", "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "functions.local", "app", "main.go"), []byte(buildpackMain), 0o644); err != nil {
		t.Fatal(err)
	}
	modEnv := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	goRun(t, dir, modEnv, "mod", "tidy")
	app := filepath.Join(t.TempDir(), "app")
	goRun(t, dir, modEnv, "build", "-o", app, "./functions.local/app")
	body := callHTTPFunction(t, app, `{"order":42}`)
	for _, want := range []string{`"platform":"Google Cloud Functions"`, `"received_bytes":12`} {
		if !strings.Contains(body, want) {
			t.Errorf("answer %s lacks %s", body, want)
		}
	}
}

func unpack(t *testing.T, zipPath string) string {
	t.Helper()
	dir := t.TempDir()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if err := os.CopyFS(dir, zr); err != nil {
		t.Fatalf("unpack %s: %v", zipPath, err)
	}
	return dir
}

func goRun(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s in the unpacked bundle: %v\n%s", strings.Join(args, " "), err, out.Bytes())
	}
}

// callHTTPFunction starts the function server at bin on a free loopback
// port, POSTs payload to it and returns the answer.
func callHTTPFunction(t *testing.T, bin, payload string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	l.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Post("http://"+addr+"/", "application/json", strings.NewReader(payload))
		if err == nil {
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("POST to the function: status %d, %v: %s", resp.StatusCode, err, body)
			}
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the function did not answer on %s: %v\n%s", addr, err, logs.Bytes())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
