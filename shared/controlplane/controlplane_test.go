package controlplane_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/devclouds"
	"github.com/fiso-dev/fiso/shared/httpapi"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/dynamo"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

const (
	adminKey    = "fiso_controlplane_test_admin_key_000000"
	azureKey    = "azure-test-function-key-1234567890"
	azureKeyEnv = "FISO_SECRET_TEST_AZURE_FUNCTION_KEY"
)

// assertNoSecretsLogged fails the test if an API key or function key
// reached a log line (the logs of failed attempts included).
func (s *stack) assertNoSecretsLogged() {
	logs := s.logs.String()
	if !strings.Contains(logs, `"msg":"request"`) {
		s.t.Errorf("no access log lines were captured; the secret check would prove nothing")
	}
	for _, secret := range []string{adminKey, azureKey, wrongAzureKey} {
		if strings.Contains(logs, secret) {
			s.t.Errorf("a secret reached the logs: %q", secret)
		}
	}
}

// stack is a control plane wired to the three local clouds, as fiso dev and
// the Lambda wire it, serving on loopback.
type stack struct {
	t      testing.TB
	clouds *devclouds.Clouds
	cp     *controlplane.ControlPlane
	url    string
	logs   *testenv.Buffer
}

type storeKind string

const (
	embeddedStore storeKind = "embedded"
	dynamoStore   storeKind = "dynamodb"
)

func newStack(t testing.TB, kind storeKind, cfg controlplane.Config, wrap func(store.Store) store.Store) *stack {
	t.Helper()
	clouds := devclouds.Start(t, azureKey)
	t.Setenv(azureKeyEnv, clouds.AzureKey)
	logs := &testenv.Buffer{}
	cfg.LambdaEndpoint = clouds.URL(catalog.AWS)
	cfg.DataDir = t.TempDir()
	cfg.Store = string(kind)
	awsCfg := testenv.AWSConfig()
	opts := controlplane.Options{AWS: &awsCfg, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if kind == dynamoStore {
		cfg.DynamoDBEndpoint = testenv.Moto(t)
		// Fresh names each run, so that a test may run again (-count).
		suffix := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-") + "-" + rand.Text()[:6])
		cfg.ConfigTable, cfg.InvocationsTable, cfg.AggregatesTable = "cfg-"+suffix, "inv-"+suffix, "agg-"+suffix
		client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint) })
		if err := dynamo.CreateTables(context.Background(), client, cfg.DynamoTables()); err != nil {
			t.Fatal(err)
		}
	}
	if wrap != nil {
		raw, err := controlplane.OpenStore(context.Background(), cfg, awsCfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		opts.Store = wrap(raw)
	}
	cp, err := controlplane.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Close() })
	ctx := context.Background()
	k, err := apikey.New(adminKey, "admin", apikey.Admin, "platform", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Store.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	f := devclouds.Function("sample", clouds.URLs(), azureKeyEnv)
	f.UpdatedAt = time.Now()
	if _, _, err := cp.Store.PutFunction(ctx, f, store.AnyVersion); err != nil {
		t.Fatal(err)
	}
	p := policy.Policy{Name: "default-cost-saver", Function: "sample", Strategy: policy.Static, DefaultProvider: catalog.AWS,
		Failover: []catalog.Provider{catalog.GCP, catalog.Azure}, UpdatedAt: time.Now()}
	if _, _, err := cp.Store.PutPolicy(ctx, p, store.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Store.ActivatePolicy(ctx, p.Name, time.Now()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cp.Handler)
	t.Cleanup(srv.Close)
	st := &stack{t: t, clouds: clouds, cp: cp, url: srv.URL, logs: logs}
	t.Cleanup(st.assertNoSecretsLogged)
	return st
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (s *stack) call(method, path, body string) reply {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (s *stack) mustCall(method, path, body string, want int) reply {
	s.t.Helper()
	r := s.call(method, path, body)
	if r.status != want {
		s.t.Fatalf("%s %s = %d %s, want %d", method, path, r.status, r.body, want)
	}
	return r
}

type sampleAnswer struct {
	Message   string `json:"message"`
	Platform  string `json:"platform"`
	GoVersion string `json:"go_version"`
}

func platformOf(t testing.TB, r reply) string {
	t.Helper()
	var a sampleAnswer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatalf("sample answer %q: %v", r.body, err)
	}
	if a.Message != "Hello from the FISO Sample App!" || !strings.HasPrefix(a.GoVersion, "go") {
		t.Errorf("sample answer = %s", r.body)
	}
	return a.Platform
}

// TestEndToEnd walks the user story on both stores: orchestrate on
// the seed policy, switch to gcp, lose aws and fail over, lose everything.
func TestEndToEnd(t *testing.T) {
	for _, kind := range []storeKind{embeddedStore, dynamoStore} {
		t.Run(string(kind), func(t *testing.T) {
			s := newStack(t, kind, controlplane.Defaults(), nil)

			r := s.mustCall("POST", "/api/v1/orchestrate", `{"name":"FISO"}`, 200)
			if p := platformOf(t, r); p != "AWS Lambda" {
				t.Errorf("platform = %q, want AWS Lambda", p)
			}
			for h, want := range map[string]string{httpapi.HeaderProvider: "aws", httpapi.HeaderRegion: "us-east-1", httpapi.HeaderColdStart: "true"} {
				if got := r.header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if r.header.Get(httpapi.HeaderInvocationID) == "" || r.header.Get(httpapi.HeaderDurationMs) == "" {
				t.Errorf("missing invocation headers: %v", r.header)
			}
			if r = s.mustCall("POST", "/api/v1/orchestrate", ``, 200); r.header.Get(httpapi.HeaderColdStart) != "false" {
				t.Errorf("second call cold start = %q, want false", r.header.Get(httpapi.HeaderColdStart))
			}
			// Priced from the REPORT line under the built-in us-east-1 card:
			// 128 MB at $0.0000166667 per GB-s, plus $0.0000002 a request.
			awsCost := checkCost(t, s, r, invocation.CostReported)
			if awsCost < 0.0000002 || awsCost > 0.0000002+0.0000166667/8 {
				t.Errorf("aws call cost %v, want a request fee plus at most a second at 128 MB", awsCost)
			}

			// Prefer gcp by editing the active policy.
			s.mustCall("PUT", "/v1/policies/default-cost-saver", `{"function":"sample","default_provider":"gcp","failover":["aws","azure"]}`, 200)
			r = s.mustCall("POST", "/api/v1/orchestrate", `{}`, 200)
			if p := platformOf(t, r); p != "Google Cloud Functions" {
				t.Errorf("after preferring gcp: platform = %q", p)
			}
			checkCost(t, s, r, invocation.CostComputed)
			// Prefer azure by activating another policy: the function key travels through the credential reference.
			s.mustCall("PUT", "/v1/policies/prefer-azure", `{"function":"sample","default_provider":"azure"}`, 201)
			s.mustCall("POST", "/v1/policies/prefer-azure/activate", ``, 200)
			if p := platformOf(t, s.mustCall("POST", "/v1/functions/sample/invoke", `{}`, 200)); p != "Azure Functions" {
				t.Errorf("after activating prefer-azure: platform = %q", p)
			}
			s.mustCall("PUT", "/v1/policies/default-cost-saver", `{"function":"sample","default_provider":"aws","failover":["gcp","azure"]}`, 200)
			s.mustCall("POST", "/v1/policies/default-cost-saver/activate", ``, 200)

			// AWS goes down: gcp answers, and the log shows both attempts.
			s.clouds.Stop(catalog.AWS)
			r = s.mustCall("POST", "/v1/functions/sample/invoke", `{"order":42}`, 200)
			if p := platformOf(t, r); p != "Google Cloud Functions" || r.header.Get(httpapi.HeaderAttempts) != "2" {
				t.Errorf("aws down: platform %q after %s attempts, want gcp after 2", p, r.header.Get(httpapi.HeaderAttempts))
			}
			var rec struct {
				Provider string
				Attempts []struct{ Provider, Outcome, Error string }
			}
			body := s.mustCall("GET", "/v1/invocations/"+r.header.Get(httpapi.HeaderInvocationID), "", 200).body
			if err := json.Unmarshal(body, &rec); err != nil {
				t.Fatal(err)
			}
			if rec.Provider != "gcp" || len(rec.Attempts) != 2 || rec.Attempts[0].Provider != "aws" || rec.Attempts[0].Outcome != "error" || rec.Attempts[1].Outcome != "ok" {
				t.Errorf("record = %s, want aws error then gcp ok", body)
			}
			var page struct {
				Items []struct {
					ID string `json:"invocation_id"`
				}
			}
			if err := json.Unmarshal(s.mustCall("GET", "/v1/invocations?function=sample&limit=1", "", 200).body, &page); err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.Items[0].ID != r.header.Get(httpapi.HeaderInvocationID) {
				t.Errorf("newest listed invocation = %+v, want the failover call", page.Items)
			}

			// The calls so far are in the cost aggregates, by provider.
			var costs struct {
				Rows  []store.CostRow
				Total store.CostRow
			}
			if err := json.Unmarshal(s.mustCall("GET", "/v1/costs?group_by=provider", "", 200).body, &costs); err != nil {
				t.Fatal(err)
			}
			if len(costs.Rows) != 3 || costs.Total.Invocations != 5 || costs.Total.CostUSD <= 0 || costs.Total.Unpriced != 0 {
				t.Errorf("costs by provider = %+v, want aws, azure and gcp rows totalling 5 priced invocations", costs)
			}

			// Everything down: 502 naming each attempt.
			s.clouds.Stop(catalog.GCP)
			s.clouds.Stop(catalog.Azure)
			r = s.mustCall("POST", "/v1/functions/sample/invoke", `{}`, 502)
			var prob struct {
				Type     string
				Attempts []struct{ Provider, Outcome, Error string }
			}
			if err := json.Unmarshal(r.body, &prob); err != nil {
				t.Fatal(err)
			}
			if prob.Type != "urn:fiso:problem:all-providers-failed" || len(prob.Attempts) != 3 {
				t.Fatalf("all down: %s", r.body)
			}
			if got := r.header.Get(httpapi.HeaderCostUSD); got != "0.000000000000" {
				t.Errorf("all down: %s = %q, want 0 (no attempt reached a function)", httpapi.HeaderCostUSD, got)
			}
			for i, want := range []string{"aws", "gcp", "azure"} {
				if a := prob.Attempts[i]; a.Provider != want || a.Error == "" {
					t.Errorf("attempt %d = %+v, want %s with its error", i, a, want)
				}
			}
		})
	}
}

func TestUpstreamTimeoutIs504(t *testing.T) {
	cfg := controlplane.Defaults()
	cfg.AttemptTimeout = 150 * time.Millisecond
	s := newStack(t, embeddedStore, cfg, nil)
	for _, p := range catalog.Providers() {
		s.clouds.Slow(p, 2*time.Second)
	}
	r := s.mustCall("POST", "/v1/functions/sample/invoke", `{}`, 504)
	if !strings.Contains(string(r.body), "upstream-timeout") || strings.Count(string(r.body), `"outcome":"timeout"`) != 3 {
		t.Errorf("504 body = %s, want three timed-out attempts", r.body)
	}
}

const wrongAzureKey = "wrong-key-wrong-key-wrong-key"

func TestAzureKeyIsRequiredAndNeverLeaks(t *testing.T) {
	s := newStack(t, embeddedStore, controlplane.Defaults(), nil)
	s.mustCall("PUT", "/v1/policies/azure-only", `{"function":"sample","default_provider":"azure","failover":["azure"]}`, 201)
	s.mustCall("POST", "/v1/policies/azure-only/activate", ``, 200)
	t.Setenv(azureKeyEnv, wrongAzureKey)
	r := s.mustCall("POST", "/v1/functions/sample/invoke", `{}`, 502)
	if !strings.Contains(string(r.body), "rejected") {
		t.Errorf("wrong key: %s, want a rejected attempt", r.body)
	}
	for _, secret := range []string{wrongAzureKey, s.clouds.AzureKey} {
		if strings.Contains(string(r.body), secret) {
			t.Fatal("the problem body contains the function key")
		}
	}
}

// countingStore counts the store calls the hot path makes.
type countingStore struct {
	store.Store
	reads, writes atomic.Int64
}

func (c *countingStore) count(n *atomic.Int64) { n.Add(1) }

func (c *countingStore) GetFunction(ctx context.Context, name string) (catalog.Function, error) {
	c.count(&c.reads)
	return c.Store.GetFunction(ctx, name)
}
func (c *countingStore) GetPolicy(ctx context.Context, name string) (policy.Policy, error) {
	c.count(&c.reads)
	return c.Store.GetPolicy(ctx, name)
}
func (c *countingStore) DefaultFunction(ctx context.Context) (string, error) {
	c.count(&c.reads)
	return c.Store.DefaultFunction(ctx)
}
func (c *countingStore) CurrentRateCards(ctx context.Context) ([]pricing.Card, error) {
	c.count(&c.reads)
	return c.Store.CurrentRateCards(ctx)
}
func (c *countingStore) KeyByHash(ctx context.Context, hash string) (apikey.Key, error) {
	c.count(&c.reads)
	return c.Store.KeyByHash(ctx, hash)
}

// With warm caches an invocation reads nothing from the store (the brief
// allows one read) and writes exactly its log record.
func TestWarmInvocationStoreCalls(t *testing.T) {
	for _, kind := range []storeKind{embeddedStore, dynamoStore} {
		t.Run(string(kind), func(t *testing.T) {
			var cs *countingStore
			// Caches that outlive the test: on a loaded machine 20 calls
			// may take longer than the default 5 s, and an expiry is a
			// read this test does not count against warm calls.
			cfg := controlplane.Defaults()
			cfg.CacheTTL, cfg.SecretTTL, cfg.ModelTTL = time.Hour, time.Hour, time.Hour
			s := newStack(t, kind, cfg, func(raw store.Store) store.Store {
				cs = &countingStore{Store: &writeCounter{Store: raw}}
				return cs
			})
			wc := cs.Store.(*writeCounter)
			for _, path := range []string{"/api/v1/orchestrate", "/v1/functions/sample/invoke"} {
				s.mustCall("POST", path, `{}`, 200) // warm the caches
				reads, writes := cs.reads.Load(), wc.writes.Load()
				const n = 20
				for i := 0; i < n; i++ {
					s.mustCall("POST", path, `{}`, 200)
				}
				if got := cs.reads.Load() - reads; got != 0 {
					t.Errorf("%s: %d store reads over %d warm invocations, want none", path, got, n)
				}
				if got := wc.writes.Load() - writes; got != n {
					t.Errorf("%s: %d log writes over %d invocations, want exactly one each", path, got, n)
				}
			}
		})
	}
}

type writeCounter struct {
	store.Store
	writes atomic.Int64
}

func (w *writeCounter) PutInvocation(ctx context.Context, r invocation.Record) error {
	w.writes.Add(1)
	return w.Store.PutInvocation(ctx, r)
}

// checkCost checks an invocation's cost header against its record and
// returns the cost.
func checkCost(t *testing.T, s *stack, r reply, source string) float64 {
	t.Helper()
	h := r.header.Get(httpapi.HeaderCostUSD)
	cost, err := strconv.ParseFloat(h, 64)
	if err != nil || cost <= 0 {
		t.Fatalf("%s = %q, want a positive cost", httpapi.HeaderCostUSD, h)
	}
	var rec invocation.Record
	if err := json.Unmarshal(s.mustCall("GET", "/v1/invocations/"+r.header.Get(httpapi.HeaderInvocationID), "", 200).body, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.CostUSD == nil || math.Abs(*rec.CostUSD-cost) > 1e-12 || rec.CostSource != source || rec.RateCardVersion == "" || rec.BilledDurationMs <= 0 || rec.BilledMemoryMB <= 0 {
		t.Errorf("record cost %v, source %q, card %q, billed %v ms %d MB; want %v from %s with a card and billed figures",
			rec.CostUSD, rec.CostSource, rec.RateCardVersion, rec.BilledDurationMs, rec.BilledMemoryMB, cost, source)
	}
	return cost
}
