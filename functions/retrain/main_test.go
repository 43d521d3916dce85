package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/oklog/ulid/v2"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/retrain"
	"github.com/fiso-dev/fiso/shared/store/dynamo"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestScheduledRun runs events/retrain/schedule.json through the Lambda
// handler on DynamoDB and EventBridge (moto): it reads the log by key,
// stores a model per deployment with enough calls and announces each
// promotion on the bus; a second run on the same log keeps the champions.
func TestScheduledRun(t *testing.T) {
	ctx := context.Background()
	moto := testenv.Moto(t)
	cfg := testenv.AWSConfig()
	tables := dynamo.Tables{Config: "retrain-config", Invocations: "retrain-invocations", Aggregates: "retrain-aggregates"}
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(moto) })
	if err := dynamo.CreateTables(ctx, ddb, tables); err != nil {
		t.Fatal(err)
	}
	queue := testenv.NewEventBus(t, cfg, moto, "fiso-retrain-test")
	st := dynamo.New(ddb, tables)

	aws1 := catalog.Deployment{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: "arn:aws:lambda:us-east-1:123456789012:function:sample"}
	gcp := catalog.Deployment{ID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1", Target: "https://us-central1-p.cloudfunctions.net/sample"}
	if _, _, err := st.PutFunction(ctx, catalog.Function{Name: "sample", Deployments: []catalog.Deployment{aws1, gcp}}, 0); err != nil {
		t.Fatal(err)
	}
	// 60 calls to aws and 10 to gcp over the last hours: aws gets a model,
	// gcp has too few calls.
	rng := rand.New(rand.NewPCG(1, 2))
	at := time.Now().UTC().Add(-20 * time.Hour)
	var mid time.Time // a logged call's time: the typical call's hour and weekday
	for i := range 70 {
		d, ms := aws1, 80.0
		if i%7 == 6 {
			d, ms = gcp, 40
		}
		at = at.Add(time.Duration(60+rng.IntN(900)) * time.Second)
		if i == 35 {
			mid = at
		}
		dur := ms * (1 + 0.1*rng.NormFloat64())
		cold := rng.IntN(4) == 0
		r := invocation.Record{
			ID: ulid.MustNew(ulid.Timestamp(at), ulid.DefaultEntropy()).String(), Timestamp: at, FunctionName: "sample",
			Provider: d.Provider, Region: d.Region, DeploymentID: d.ID, RequestSizeBytes: rng.IntN(2048),
			ExecutionTimeMs: dur, TotalTimeMs: dur, StatusCode: 200, KeyID: "0123456789abcdef",
			DayOfWeek: invocation.Weekday(at), HourOfDay: at.Hour(), ExpiresAt: at.Add(24 * time.Hour),
			Attempts: []invocation.Attempt{{DeploymentID: d.ID, Provider: d.Provider, Region: d.Region, StartedAt: at, DurationMs: dur, Outcome: invocation.OK, ColdStart: &cold}},
		}
		if err := st.PutInvocation(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	env := map[string]string{
		"FISO_DYNAMODB_ENDPOINT":    moto,
		"FISO_TABLE_CONFIG":         tables.Config,
		"FISO_TABLE_INVOCATIONS":    tables.Invocations,
		"FISO_TABLE_AGGREGATES":     tables.Aggregates,
		"FISO_EVENT_BUS":            "fiso-retrain-test",
		"FISO_EVENTBRIDGE_ENDPOINT": moto,
		"FISO_RETRAIN_WINDOW":       "48h",
		"FISO_RETRAIN_MIN_SAMPLES":  "40",
	}
	h, err := newHandler(ctx, func(k string) string { return env[k] }, controlplane.Options{
		AWS: &cfg, Logger: slog.New(slog.NewTextHandler(&testenv.Buffer{}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	event, err := os.ReadFile("../../events/retrain/schedule.json")
	if err != nil {
		t.Fatal(err)
	}
	run := func() map[string]retrain.DeploymentReport {
		t.Helper()
		out, err := lambda.NewHandler(h).Invoke(ctx, event)
		if err != nil {
			t.Fatal(err)
		}
		var s summary
		if err := json.Unmarshal(out, &s); err != nil {
			t.Fatalf("summary %s: %v", out, err)
		}
		if len(s.Functions) != 1 || s.Functions[0].Records != 70 {
			t.Fatalf("summary = %s, want one function with its 70 records", out)
		}
		byID := map[string]retrain.DeploymentReport{}
		for _, d := range s.Functions[0].Deployments {
			byID[d.Deployment] = d
		}
		return byID
	}

	first := run()
	if first[aws1.ID].Outcome != retrain.Promoted || first[aws1.ID].Version != 1 || first[gcp.ID].Outcome != retrain.TooFew {
		t.Fatalf("first run = %+v, want aws promoted to version 1 and gcp with too few samples", first)
	}
	models, err := st.CurrentModels(ctx, "sample")
	if err != nil || len(models) != 1 || models[0].Deployment != aws1.ID || models[0].Samples == 0 {
		t.Fatalf("stored models = %+v (%v), want aws's", models, err)
	}
	// The log covers some 10 hours of one or two days, so a call at a
	// fixed hour would be an extrapolation on most days the test runs.
	hour, weekday := predict.Calendar(mid)
	typical := predict.Features{PayloadBytes: 1000, Hour: hour, Weekday: weekday, IdleSeconds: 500, RecentLatencyMs: 80, DistanceKm: -1}
	if p := models[0].Predict(typical); p.LatencyMs < 50 || p.LatencyMs > 130 {
		t.Errorf("stored model predicts %.1f ms for a typical call, want about 80", p.LatencyMs)
	}
	second := run()
	if second[aws1.ID].Outcome != retrain.Kept || second[aws1.ID].Version != 1 {
		t.Errorf("second run = %+v, want the champion kept", second[aws1.ID])
	}
	got := testenv.Count(queue.Receive(t, 1))
	if got[retrain.EventPromoted] != 1 || len(got) != 1 {
		t.Errorf("events delivered = %v, want one Model Promoted", got)
	}
}
