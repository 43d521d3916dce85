package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/devclouds"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/dynamo"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// eventsKey is the admin key written in events/*.json (a placeholder for
// `sam local invoke`; replace it with a key of your deployment).
const eventsKey = "fiso_sample_events_admin_key_replace_me_0000"

// want is what each sample event must produce; a new event without an entry
// fails the test, so events and handler cannot drift apart.
var want = map[string]struct {
	status int
	body   string // substring of the body
}{
	"orchestrate.json":      {200, `"platform":"AWS Lambda"`},
	"invoke.json":           {200, `"message":"Hello from the FISO Sample App!"`},
	"invoke-base64.json":    {200, `"received_bytes":21`},
	"create-policy.json":    {201, `"name":"prefer-gcp"`},
	"list-invocations.json": {200, `"items":[`},
	"malformed-body.json":   {400, `malformed JSON`},
	"missing-key.json":      {401, `Authorization: Bearer`},
}

func TestEventsThroughTheLambdaHandler(t *testing.T) {
	ctx := context.Background()
	clouds := devclouds.Start(t, "events-test-azure-function-key-0000")
	t.Setenv("FISO_SECRET_TEST_AZURE_KEY", clouds.AzureKey)
	moto := testenv.Moto(t)
	awsCfg := testenv.AWSConfig()
	tables := dynamo.Tables{Config: "events-config", Invocations: "events-invocations", Aggregates: "events-aggregates"}
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(moto) })
	if err := dynamo.CreateTables(ctx, client, tables); err != nil {
		t.Fatal(err)
	}
	seed(t, dynamo.New(client, tables), clouds)

	env := map[string]string{
		"FISO_DYNAMODB_ENDPOINT": moto,
		"FISO_TABLE_CONFIG":      tables.Config,
		"FISO_TABLE_INVOCATIONS": tables.Invocations,
		"FISO_TABLE_AGGREGATES":  tables.Aggregates,
		"FISO_LAMBDA_ENDPOINT":   clouds.URL(catalog.AWS),
	}
	h, err := newHandler(ctx, func(k string) string { return env[k] }, controlplane.Options{
		AWS: &awsCfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events found: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("events/%s has no expectation in this test", name)
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := lambda.NewHandler(h).Invoke(ctx, raw)
			if err != nil {
				t.Fatalf("handler failed: %v", err)
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatalf("response %s: %v", out, err)
			}
			if resp.StatusCode != w.status || !strings.Contains(resp.Body, w.body) {
				t.Errorf("status %d body %s; want %d containing %s", resp.StatusCode, resp.Body, w.status, w.body)
			}
			if resp.StatusCode >= 400 && resp.Headers["Content-Type"] != "application/problem+json" {
				t.Errorf("error response Content-Type = %q, want application/problem+json", resp.Headers["Content-Type"])
			}
		})
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("expected events/%s does not exist", name)
		}
	}
}

func TestUnreadableEventIsA400(t *testing.T) {
	h := proxy(nil, nil)
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/v1/functions", Body: "not base64!", IsBase64Encoded: true}
	ev.RequestContext.HTTP.Method = "POST"
	resp, err := h(context.Background(), ev)
	if err != nil || resp.StatusCode != 400 || resp.Headers["Content-Type"] != "application/problem+json" {
		t.Errorf("got %d %v %v, want a 400 problem and no invocation error", resp.StatusCode, resp.Headers, err)
	}
}

func seed(t *testing.T, st store.Store, clouds *devclouds.Clouds) {
	t.Helper()
	ctx, now := context.Background(), time.Now()
	k, err := apikey.New(eventsKey, "events", apikey.Admin, "", now)
	if err != nil {
		t.Fatal(err)
	}
	f := devclouds.Function("sample", clouds.URLs(), "FISO_SECRET_TEST_AZURE_KEY")
	f.UpdatedAt = now
	p := policy.Policy{Name: "default-cost-saver", Function: "sample", Strategy: policy.Static, DefaultProvider: catalog.AWS, UpdatedAt: now}
	for _, step := range []func() error{
		func() error { return st.PutKey(ctx, k) },
		func() error { _, _, err := st.PutFunction(ctx, f, store.AnyVersion); return err },
		func() error { _, _, err := st.PutPolicy(ctx, p, store.AnyVersion); return err },
		func() error { _, err := st.ActivatePolicy(ctx, p.Name, now); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
}
