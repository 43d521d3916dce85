package main

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fiso-dev/fiso/shared/alert"
	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store/dynamo"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestScheduledRun runs events/finops/schedule.json through the Lambda
// handler on DynamoDB and EventBridge (moto): five days of a function's
// steady hourly spend and then an hour of twelve times as much. The run
// records the spike hour of the function and of its team and announces
// both on the bus; a second run finds them again and announces nothing.
func TestScheduledRun(t *testing.T) {
	ctx := context.Background()
	moto := testenv.Moto(t)
	cfg := testenv.AWSConfig()
	// Fresh names, so that a rerun on the same moto starts empty.
	suffix := strings.ToLower(cryptorand.Text()[:8])
	tables := dynamo.Tables{Config: "finops-config-" + suffix, Invocations: "finops-invocations-" + suffix, Aggregates: "finops-aggregates-" + suffix}
	bus := "fiso-finops-test-" + suffix
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(moto) })
	if err := dynamo.CreateTables(ctx, ddb, tables); err != nil {
		t.Fatal(err)
	}
	queue := testenv.NewEventBus(t, cfg, moto, bus)
	st := dynamo.New(ddb, tables)

	event, err := os.ReadFile("../../events/finops/schedule.json")
	if err != nil {
		t.Fatal(err)
	}
	var scheduled struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(event, &scheduled); err != nil {
		t.Fatal(err)
	}
	now := scheduled.Time.Add(5 * time.Second) // EventBridge is a little late
	spike := now.Truncate(time.Hour).Add(-time.Hour)

	if _, _, err := st.PutFunction(ctx, catalog.Function{Name: "sample", UpdatedAt: spike.AddDate(0, 0, -30)}, 0); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for h := spike.Add(-5 * 24 * time.Hour); !h.After(spike); h = h.Add(time.Hour) {
		cost := 0.5 * (1 + 0.1*rng.NormFloat64())
		if h.Equal(spike) {
			cost = 6
		}
		at := h.Add(time.Duration(rng.IntN(3600)) * time.Second)
		r := invocation.Record{ID: fmt.Sprintf("finops-%d", at.UnixNano()), Timestamp: at, FunctionName: "sample", Team: "imaging",
			Provider: catalog.AWS, Region: "us-east-1", DeploymentID: "aws-us-east-1", StatusCode: 200, CostUSD: &cost}
		if err := st.PutInvocation(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	env := map[string]string{
		"FISO_DYNAMODB_ENDPOINT":    moto,
		"FISO_TABLE_CONFIG":         tables.Config,
		"FISO_TABLE_INVOCATIONS":    tables.Invocations,
		"FISO_TABLE_AGGREGATES":     tables.Aggregates,
		"FISO_EVENT_BUS":            bus,
		"FISO_EVENTBRIDGE_ENDPOINT": moto,
	}
	h, err := newHandler(ctx, func(k string) string { return env[k] }, controlplane.Options{
		AWS: &cfg, Logger: slog.New(slog.NewTextHandler(&testenv.Buffer{}, nil)), Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	run := func() controlplane.FinOpsReport {
		t.Helper()
		out, err := lambda.NewHandler(h).Invoke(ctx, event)
		if err != nil {
			t.Fatal(err)
		}
		var r controlplane.FinOpsReport
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("report %s: %v", out, err)
		}
		return r
	}

	first := run()
	if first.Functions != 1 || first.Teams != 1 || first.Anomalies != 2 || first.New != 2 || first.Failed != 0 || !first.JudgedTo.Equal(spike.Add(time.Hour)) {
		t.Fatalf("first run = %+v, want 1 function and 1 team checked up to %s, and 2 new anomalies", first, spike.Add(time.Hour))
	}
	recorded, err := st.ListAnomalies(ctx, spike, 0)
	if err != nil || len(recorded) != 2 || recorded[0].ID() != "team/imaging/2026-11-26T03" || recorded[1].ID() != "function/sample/2026-11-26T03" {
		t.Fatalf("recorded anomalies = %+v (%v), want the team's and the function's spike hour", recorded, err)
	}
	if second := run(); second.Anomalies != 2 || second.New != 0 {
		t.Errorf("second run = %+v, want the 2 anomalies found again and none new", second)
	}

	// Wait for a third event, which must not come.
	events := queue.Receive(t, 3)
	if got := testenv.Count(events); len(events) != 2 || got[alert.EventSpendAnomaly] != 2 {
		t.Fatalf("events delivered = %v, want two %q", got, alert.EventSpendAnomaly)
	}
	for _, ev := range events {
		var a anomaly.Anomaly
		if err := json.Unmarshal(ev.Detail, &a); err != nil || !a.Hour.Equal(spike) || a.CostUSD != 6 || a.Score <= anomaly.DefaultThreshold {
			t.Errorf("event detail %s (%v), want an anomaly of $6 at %s", ev.Detail, err, spike)
		}
	}
}
