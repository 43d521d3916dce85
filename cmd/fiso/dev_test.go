package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/testenv"
)

// These tests run the real `fiso` binary: `fiso dev` with its child-process
// clouds, the CLI against it, and a restart on the same data directory.

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := testenv.Main(m) // stops a moto_server the tests started
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func fisoBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fiso-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binDir, binPath = dir, filepath.Join(dir, "fiso")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

type devProc struct {
	t      *testing.T
	bin    string
	env    []string
	url    string
	cmd    *exec.Cmd
	stdout *testenv.Buffer
	stderr *testenv.Buffer
}

func startDev(t *testing.T, dataDir string, extraEnv ...string) *devProc {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	d := &devProc{t: t, bin: fisoBinary(t), url: fmt.Sprintf("http://127.0.0.1:%d", port), stdout: &testenv.Buffer{}}
	d.env = append(os.Environ(), "FISO_ADDR="+strings.TrimPrefix(d.url, "http://"), "FISO_DATA_DIR="+dataDir, "FISO_LOG_LEVEL=info")
	d.env = append(d.env, extraEnv...)
	d.cmd = exec.Command(d.bin, "dev")
	d.cmd.Env = d.env
	d.cmd.Stdout = d.stdout
	d.stderr = &testenv.Buffer{}
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop() })
	if err := testenv.WaitHTTP(d.url+"/healthz", 60*time.Second); err != nil {
		t.Fatalf("fiso dev did not come up: %v\nstdout:\n%s\nstderr:\n%s", err, d.stdout, d.stderr.String())
	}
	// The banner is printed right after the server starts serving.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.stdout.String(), "Simulate an outage") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return d
}

func (d *devProc) stop() {
	if d.cmd.ProcessState != nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
		d.t.Error("fiso dev did not stop within 20s of SIGTERM")
	}
}

// cli runs a fiso subcommand against this dev instance.
func (d *devProc) cli(args ...string) (string, error) {
	cmd := exec.Command(d.bin, args...)
	cmd.Env = append(d.env, "FISO_URL="+d.url)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (d *devProc) call(key, method, path, body string) answer {
	d.t.Helper()
	req, _ := http.NewRequest(method, d.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (d *devProc) must(key, method, path, body string, status int) answer {
	d.t.Helper()
	a := d.call(key, method, path, body)
	if a.status != status {
		d.t.Fatalf("%s %s = %d %s, want %d", method, path, a.status, a.body, status)
	}
	return a
}

func platform(t *testing.T, a answer) string {
	t.Helper()
	var v struct{ Message, Platform string }
	if err := json.Unmarshal([]byte(a.body), &v); err != nil || v.Message != "Hello from the FISO Sample App!" {
		t.Fatalf("not the sample's answer: %s (%v)", a.body, err)
	}
	return v.Platform
}

const e2eKey = "fiso_e2e_admin_key_0000000000000000000"

func TestDevUserStory(t *testing.T) {
	data := t.TempDir()
	d := startDev(t, data, "FISO_ADMIN_KEY="+e2eKey)
	if !strings.Contains(d.stdout.String(), `curl -X POST -H "Authorization: Bearer $FISO_ADMIN_KEY"`) {
		t.Errorf("banner lacks the curl line:\n%s", d.stdout.String())
	}

	// 2. The curl line answers from the AWS sample with FISO's headers.
	a := d.must(e2eKey, "POST", "/api/v1/orchestrate", "", 200)
	if p := platform(t, a); p != "AWS Lambda" {
		t.Errorf("platform = %q, want AWS Lambda", p)
	}
	for _, h := range []string{"X-Fiso-Provider", "X-Fiso-Region", "X-Fiso-Invocation-Id", "X-Fiso-Duration-Ms"} {
		if a.header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}

	// 3. Prefer gcp through the API.
	d.must(e2eKey, "PUT", "/v1/policies/prefer-gcp", `{"function":"sample","default_provider":"gcp","failover":["aws","azure"]}`, 201)
	d.must(e2eKey, "POST", "/v1/policies/prefer-gcp/activate", "", 200)
	if p := platform(t, d.must(e2eKey, "POST", "/api/v1/orchestrate", "", 200)); p != "Google Cloud Functions" {
		t.Errorf("after activating prefer-gcp: %q", p)
	}
	d.must(e2eKey, "POST", "/v1/policies/default-cost-saver/activate", "", 200)

	// 4. Stop the local aws cloud: the next call fails over to gcp; the log shows both attempts.
	if out, err := d.cli("cloud", "stop", "aws"); err != nil {
		t.Fatalf("fiso cloud stop aws: %v\n%s", err, out)
	}
	a = d.must(e2eKey, "POST", "/v1/functions/sample/invoke", `{"order":42}`, 200)
	if p := platform(t, a); p != "Google Cloud Functions" {
		t.Errorf("aws down: %q, want gcp", p)
	}
	rec := d.must(e2eKey, "GET", "/v1/invocations/"+a.header.Get("X-Fiso-Invocation-Id"), "", 200).body
	if !regexp.MustCompile(`"attempts":\[\{[^}]*"provider":"aws"[^}]*"outcome":"error"[^}]*\},\{[^}]*"provider":"gcp"[^}]*"outcome":"ok"`).MatchString(rec) {
		t.Errorf("invocation log record lacks aws error then gcp ok:\n%s", rec)
	}

	// The CLI invokes too.
	if out, err := d.cli("invoke", "sample", "-d", `{"via":"cli"}`, "--key", e2eKey); err != nil || !strings.Contains(out, "Google Cloud Functions") {
		t.Errorf("fiso invoke: %v\n%s", err, out)
	}

	// The calls so far are priced and totalled.
	if out, err := d.cli("costs", "--group-by", "provider", "--key", e2eKey); err != nil || !strings.Contains(out, "aws") || !strings.Contains(out, "gcp") || !strings.Contains(out, "total") {
		t.Errorf("fiso costs: %v\n%s", err, out)
	}
	if a := d.must(e2eKey, "POST", "/api/v1/orchestrate", "", 200); a.header.Get("X-Fiso-Cost-Usd") == "" {
		t.Error("no X-Fiso-Cost-Usd on an invocation")
	}

	// Every cloud down: 502 listing the three attempts.
	for _, p := range []string{"gcp", "azure"} {
		if out, err := d.cli("cloud", "stop", p); err != nil {
			t.Fatalf("fiso cloud stop %s: %v\n%s", p, err, out)
		}
	}
	a = d.must(e2eKey, "POST", "/v1/functions/sample/invoke", `{}`, 502)
	for _, p := range []string{`"provider":"aws"`, `"provider":"gcp"`, `"provider":"azure"`} {
		if !strings.Contains(a.body, p) {
			t.Errorf("502 body lacks %s: %s", p, a.body)
		}
	}

	// Bring aws back.
	if out, err := d.cli("cloud", "start", "aws"); err != nil {
		t.Fatalf("fiso cloud start aws: %v\n%s", err, out)
	}
	if p := platform(t, d.must(e2eKey, "POST", "/api/v1/orchestrate", "", 200)); p != "AWS Lambda" {
		t.Errorf("after restarting aws: %q", p)
	}
	before := d.must(e2eKey, "GET", "/v1/invocations?function=sample&limit=1000", "", 200).body

	// A restart on the same data directory keeps policies and logs, and the
	// generated bootstrap key (no FISO_ADMIN_KEY) works.
	d.stop()
	assertNotLogged(t, d.stderr.String(), e2eKey)
	assertNoChildren(t, data)
	d2 := startDev(t, data)
	m := regexp.MustCompile(`Bearer (fiso_[A-Za-z0-9_-]+)`).FindStringSubmatch(d2.stdout.String())
	if m == nil {
		t.Fatalf("no generated key in the banner:\n%s", d2.stdout.String())
	}
	d2.must(m[1], "GET", "/v1/policies/prefer-gcp", "", 200)
	after := d2.must(m[1], "GET", "/v1/invocations?function=sample&limit=1000", "", 200).body
	if n := strings.Count(before, `"invocation_id"`); n < 5 || strings.Count(after, `"invocation_id"`) != n {
		t.Errorf("invocations before restart %d, after %d; want the same, at least 5", n, strings.Count(after, `"invocation_id"`))
	}
	if p := platform(t, d2.must(m[1], "POST", "/api/v1/orchestrate", "", 200)); p != "AWS Lambda" {
		t.Errorf("after restart: %q", p)
	}
	d2.stop()
	assertNotLogged(t, d2.stderr.String(), m[1])
}

// assertNotLogged checks that a key never reached fiso dev's log (stderr);
// the banner on stdout is the one place a generated key is shown.
func assertNotLogged(t *testing.T, logs, key string) {
	t.Helper()
	if !strings.Contains(logs, "msg=request") {
		t.Errorf("no request log lines captured; the check would prove nothing:\n%s", logs)
	}
	if strings.Contains(logs, key) {
		t.Errorf("an API key reached fiso dev's log")
	}
}

func TestKeysCreateAgainstTheEmbeddedStore(t *testing.T) {
	data := t.TempDir()
	bin := fisoBinary(t)
	cmd := exec.Command(bin, "keys", "create", "--name", "ops", "--role", "admin", "--team", "platform")
	cmd.Env = append(os.Environ(), "FISO_DATA_DIR="+data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("fiso keys create: %v\n%s", err, stderr.String())
	}
	key := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(key, "fiso_") || strings.Contains(stderr.String(), key) {
		t.Fatalf("stdout %q should be the key alone, stderr %q should not repeat it", key, stderr.String())
	}
	d := startDev(t, data)
	d.must(key, "GET", "/v1/functions/sample", "", 200)
	// While fiso dev holds the store, the CLI explains instead of hanging.
	out, err := d.cli("keys", "list")
	if err == nil || !strings.Contains(out, "POST /v1/keys") {
		t.Errorf("keys list while dev runs: err %v, output %q; want a hint to use the API", err, out)
	}
}

// assertNoChildren checks that fiso dev took its clouds down with it.
func assertNoChildren(t *testing.T, data string) {
	t.Helper()
	for _, p := range []string{"aws", "azure", "gcp"} {
		if _, err := os.Stat(filepath.Join(data, "run", p+".pid")); err == nil {
			t.Errorf("%s.pid left behind after fiso dev stopped", p)
		}
		b, err := os.ReadFile(filepath.Join(data, "run", p+".addr"))
		if err != nil {
			t.Fatal(err)
		}
		if dialable(string(b)) {
			t.Errorf("the %s cloud still listens on %s after fiso dev stopped", p, b)
		}
	}
}

func TestPricingCLI(t *testing.T) {
	bin := fisoBinary(t)
	env := append(os.Environ(), "FISO_DATA_DIR="+t.TempDir())
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fiso %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := run("pricing", "import", "--provider", "aws", "--file", "../../shared/pricing/awsprice/testdata/AWSLambda-eu-west-2.json")
	for _, want := range []string{"aws/lambda/eu-west-2/x86_64", "aws/lambda/eu-west-2/arm64", "gb_second", "request"} {
		if !strings.Contains(out, want) {
			t.Errorf("pricing import output lacks %q:\n%s", want, out)
		}
	}
	// 1 GB-s on arm64 at the built-in us-east-1 list price plus one request.
	var got struct {
		Key  string
		Cost struct {
			BilledDurationMs float64 `json:"billed_duration_ms"`
			TotalUSD         float64 `json:"total_usd"`
		}
	}
	if err := json.Unmarshal([]byte(run("cost", "--provider", "aws", "--region", "us-east-1", "--arch", "arm64", "--memory-mb", "1024", "--duration-ms", "999.2", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Key != "aws/lambda/us-east-1/arm64" || got.Cost.BilledDurationMs != 1000 || math.Abs(got.Cost.TotalUSD-0.0000135334) > 1e-12 {
		t.Errorf("fiso cost = %+v, want 1000 ms billed for $0.0000135334", got)
	}
}

// TestDevLearns runs the learning loop locally: a fastest policy with heavy
// exploration spreads calls over the three clouds, fiso dev's retrain loop
// fits a model per deployment from the log, and the next call's record
// explains every candidate with the models' predictions.
func TestDevLearns(t *testing.T) {
	d := startDev(t, t.TempDir(), "FISO_ADMIN_KEY="+e2eKey, "FISO_RETRAIN_INTERVAL=1s", "FISO_RETRAIN_MIN_SAMPLES=24", "FISO_MODEL_TTL=1s")
	d.must(e2eKey, "PUT", "/v1/policies/learn", `{"function":"sample","strategy":"fastest","exploration":0.5}`, 201)
	d.must(e2eKey, "POST", "/v1/policies/learn/activate", "", 200)
	explored := 0
	for range 200 {
		a := d.must(e2eKey, "POST", "/api/v1/orchestrate", `{"n":1}`, 200)
		rec := d.must(e2eKey, "GET", "/v1/invocations/"+a.header.Get("X-Fiso-Invocation-Id"), "", 200).body
		if strings.Contains(rec, `"explored":true`) {
			explored++
		}
	}
	if explored < 50 || explored > 150 {
		t.Errorf("%d of 200 calls explored, want about half", explored)
	}
	var models struct {
		Items []struct {
			Deployment string
			Samples    int
			Version    int64
		}
	}
	for deadline := time.Now().Add(30 * time.Second); len(models.Items) < 3 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if err := json.Unmarshal([]byte(d.must(e2eKey, "GET", "/v1/functions/sample/models", "", 200).body), &models); err != nil {
			t.Fatal(err)
		}
	}
	if len(models.Items) != 3 {
		t.Fatalf("models after 200 calls = %+v, want one per deployment\nlogs:\n%s", models.Items, d.stderr.String())
	}
	time.Sleep(1100 * time.Millisecond) // the model cache's TTL
	a := d.must(e2eKey, "POST", "/api/v1/orchestrate", `{"n":1}`, 200)
	var rec struct {
		Decision struct {
			Strategy, Reason string
			Candidates       []struct {
				DeploymentID       string   `json:"deployment_id"`
				PredictedLatencyMs *float64 `json:"predicted_latency_ms"`
				PredictedP95Ms     *float64 `json:"predicted_p95_ms"`
				ColdStartRisk      *float64 `json:"cold_start_risk"`
			}
		}
	}
	body := d.must(e2eKey, "GET", "/v1/invocations/"+a.header.Get("X-Fiso-Invocation-Id"), "", 200).body
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Decision.Strategy != "fastest" || len(rec.Decision.Candidates) != 3 {
		t.Fatalf("decision = %s", body)
	}
	for _, c := range rec.Decision.Candidates {
		if c.PredictedLatencyMs == nil || c.PredictedP95Ms == nil || c.ColdStartRisk == nil {
			t.Errorf("candidate %s has no prediction: %s", c.DeploymentID, body)
		}
	}
}
