package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/pricepull"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/store/dynamo"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

const billingKey = "AIzaSy-test-cloud-billing-key-0000000"

func fixture(t *testing.T, provider, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "pricing", provider, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// priceLists replays the three providers' recorded price-list responses on
// loopback, on their real paths; down makes the AWS one answer 503, absurd
// makes it quote the x86 first-tier GB-second 60% higher.
func priceLists(t *testing.T, down, absurd *atomic.Bool) map[string]string {
	aws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path != "/offers/v1.0/aws/AWSLambda/current/us-east-1/index.json" {
			http.NotFound(w, r)
			return
		}
		body := fixture(t, "awsprice", "AWSLambda-us-east-1.json")
		if absurd.Load() {
			body = bytes.Replace(body, []byte(`"0.0000166667"`), []byte(`"0.0000266667"`), 1)
		}
		_, _ = w.Write(body)
	}))
	var azure *httptest.Server
	azure = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/retail/prices" || !strings.Contains(r.URL.Query().Get("$filter"), "'eastus'") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("$skip") == "100" {
			_, _ = w.Write(fixture(t, "azureprice", "functions-eastus-page2.json"))
			return
		}
		_, _ = w.Write(bytes.ReplaceAll(fixture(t, "azureprice", "functions-eastus-page1.json"), []byte("https://prices.azure.com:443"), []byte(azure.URL)))
	}))
	pages := map[string]string{"29E7-DA93-CA13": "cloud-run-functions", "152E-C115-5142": "cloud-run"}
	gcp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.Path, "/") // /v1/services/{id}/skus
		if r.Header.Get("X-Goog-Api-Key") != billingKey || len(parts) != 5 || pages[parts[3]] == "" {
			http.Error(w, `{"error":{"code":400,"message":"API key not valid."}}`, http.StatusBadRequest)
			return
		}
		page := "page1.json"
		if r.URL.Query().Get("pageToken") != "" {
			page = "page2.json"
		}
		_, _ = w.Write(fixture(t, "gcpprice", pages[parts[3]]+"-"+page))
	}))
	for _, s := range []*httptest.Server{aws, azure, gcp} {
		t.Cleanup(s.Close)
	}
	return map[string]string{"aws": aws.URL, "azure": azure.URL, "gcp": gcp.URL}
}

// TestScheduledRun runs events/pricing/schedule.json through the Lambda
// handler against DynamoDB and EventBridge on moto and the replayed price
// lists: the first run stores every card, the second changes nothing, a run
// with the AWS list down and one with an absurd AWS price keep the AWS cards
// in force; the events reach a queue through an EventBridge rule.
func TestScheduledRun(t *testing.T) {
	ctx := context.Background()
	moto := testenv.Moto(t)
	cfg := testenv.AWSConfig()
	tables := dynamo.Tables{Config: "pricing-config", Invocations: "pricing-invocations", Aggregates: "pricing-aggregates"}
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(moto) })
	if err := dynamo.CreateTables(ctx, ddb, tables); err != nil {
		t.Fatal(err)
	}
	queue := testenv.NewEventBus(t, cfg, moto, "fiso-pricing-test")
	var down, absurd atomic.Bool
	urls := priceLists(t, &down, &absurd)
	t.Setenv("FISO_SECRET_GCP_BILLING_KEY", billingKey)
	env := map[string]string{
		"FISO_DYNAMODB_ENDPOINT":    moto,
		"FISO_TABLE_CONFIG":         tables.Config,
		"FISO_TABLE_INVOCATIONS":    tables.Invocations,
		"FISO_TABLE_AGGREGATES":     tables.Aggregates,
		"FISO_PRICING_AWS_URL":      urls["aws"],
		"FISO_PRICING_AZURE_URL":    urls["azure"],
		"FISO_PRICING_GCP_URL":      urls["gcp"],
		"FISO_PRICING_GCP_KEY_REF":  "env:FISO_SECRET_GCP_BILLING_KEY",
		"FISO_PRICING_REGIONS":      "aws=us-east-1;azure=eastus;gcp=us-central1",
		"FISO_EVENT_BUS":            "fiso-pricing-test",
		"FISO_EVENTBRIDGE_ENDPOINT": moto,
	}
	var logs testenv.Buffer
	h, err := newHandler(ctx, func(k string) string { return env[k] }, controlplane.Options{
		AWS: &cfg, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	event, err := os.ReadFile("../../events/pricing/schedule.json")
	if err != nil {
		t.Fatal(err)
	}
	run := func(wantErr bool) map[pricepull.Outcome][]string {
		t.Helper()
		out, err := lambda.NewHandler(h).Invoke(ctx, event)
		if (err != nil) != wantErr {
			t.Fatalf("run error = %v, want error: %v", err, wantErr)
		}
		if wantErr {
			return nil
		}
		var s summary
		if err := json.Unmarshal(out, &s); err != nil {
			t.Fatalf("summary %s: %v", out, err)
		}
		byOutcome := map[pricepull.Outcome][]string{}
		for _, r := range s.Results {
			byOutcome[r.Outcome] = append(byOutcome[r.Outcome], r.Key+r.Region)
		}
		return byOutcome
	}

	first := run(false)
	if len(first[pricepull.Changed]) != 6 || len(first[pricepull.Failed])+len(first[pricepull.Rejected]) != 0 {
		t.Fatalf("first run = %v, want 6 cards stored (aws x86/arm, azure consumption/flex, gcp gen2/gen1)", first)
	}
	st := dynamo.New(ddb, tables)
	cards, err := st.CurrentRateCards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []pricing.Key{
		{Provider: catalog.AWS, Plan: pricing.Lambda, Region: "us-east-1", Arch: catalog.ARM64},
		{Provider: catalog.Azure, Plan: pricing.Flex, Region: "eastus", Arch: catalog.X86_64},
		{Provider: catalog.GCP, Plan: pricing.Gen2, Region: "us-central1", Arch: catalog.X86_64},
	} {
		c, ok := pricing.Find(cards, want)
		if !ok {
			t.Errorf("no stored card %s", want)
			continue
		}
		if err := c.Validate(); err != nil || !strings.HasPrefix(c.Source, "http://127.0.0.1") || strings.Contains(c.Source, billingKey) {
			t.Errorf("card %s: validate %v, source %q", want, err, c.Source)
		}
	}

	second := run(false)
	if len(second[pricepull.Unchanged]) != 6 || len(second[pricepull.Changed]) != 0 {
		t.Errorf("second run = %v, want all 6 unchanged", second)
	}

	versions := func() map[string]string {
		t.Helper()
		cards, err := st.CurrentRateCards(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, c := range cards {
			out[c.KeyOf().String()] = c.Version
		}
		return out
	}
	before := versions()

	down.Store(true)
	third := run(false)
	if len(third[pricepull.Failed]) != 1 || len(third[pricepull.Unchanged]) != 4 {
		t.Errorf("with the AWS list down = %v, want aws failed and the 4 others unchanged", third)
	}
	down.Store(false)
	absurd.Store(true)
	fourth := run(false)
	if len(fourth[pricepull.Rejected]) != 1 || len(fourth[pricepull.Unchanged]) != 5 {
		t.Errorf("with an absurd AWS price = %v, want the x86 card rejected and 5 unchanged", fourth)
	}
	if after := versions(); !reflect.DeepEqual(after, before) {
		t.Errorf("cards in force changed after a failed and an absurd pull:\nbefore %v\nafter  %v", before, after)
	}
	if strings.Contains(logs.String(), billingKey) {
		t.Error("the Cloud Billing API key reached the log")
	}
	got := testenv.Count(queue.Receive(t, 8))
	want := map[string]int{pricepull.EventChanged: 6, pricepull.EventFailed: 1, pricepull.EventRejected: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events delivered = %v, want %v", got, want)
	}
}
