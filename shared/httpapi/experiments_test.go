package httpapi_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/estimate"
	"github.com/fiso-dev/fiso/shared/experiment"
	"github.com/fiso-dev/fiso/shared/orchestrator"
	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/store/embedded"
)

// trained fits a deployment's model on calls that take about ms (log-normal
// spread), with recent latencies that carry no signal, so predictions do
// not hinge on the microsecond round trips of the test's invoker.
func trained(t *testing.T, deployment string, ms float64, seed uint64) predict.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	at := time.Now().Add(-48 * time.Hour)
	samples := make([]predict.Sample, 600)
	for i := range samples {
		at = at.Add(time.Duration(rng.IntN(200)+1) * time.Second)
		samples[i] = predict.Sample{
			Features: predict.Features{
				PayloadBytes: float64(rng.IntN(4096)), Hour: at.UTC().Hour(), Weekday: (int(at.UTC().Weekday()) + 6) % 7,
				IdleSeconds: rng.Float64() * 300, RecentLatencyMs: 0.001 + rng.Float64()*500, DistanceKm: -1,
			},
			At: at, DurationMs: ms * (1 + 0.1*rng.NormFloat64()), ColdStart: false, ColdKnown: true,
		}
	}
	m, err := predict.Fit("sample", deployment, samples, predict.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSplitExperimentAndExplanations runs an A/B split of cheapest against
// fastest on trained models: every record names its arm and explains every
// candidate, and the experiment report counts each arm with its provider
// mix.
func TestSplitExperimentAndExplanations(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	e := newEnvWith(t, func(st *embedded.Store, o *orchestrator.Options) {
		// aws is slow and cheap (128 MB), gcp fast and dearer (256 MB,
		// 100 ms rounding), azure slow.
		for i, m := range []predict.Model{trained(t, "aws-us-east-1", 90, 1), trained(t, "gcp-us-central1", 30, 2), trained(t, "azure-eastus", 400, 3)} {
			if _, err := st.PutModel(context.Background(), m, 0); err != nil {
				t.Fatalf("model %d: %v", i, err)
			}
		}
		o.Pricer = pricebook.New(st, time.Minute, nil)
		o.Estimator = estimate.New(st, o.Pricer, estimate.Options{})
		o.Rand = rng.Float64
	})
	e.mustDo("PUT", "/v1/policies/ab", adminKey, `{"function":"sample","strategy":"split","split":{"percent":50,"a":"cheapest","b":"fastest"},"exploration":0}`, http.StatusCreated)
	e.mustDo("POST", "/v1/policies/ab/activate", adminKey, "", http.StatusOK)

	const calls = 200
	var last string
	for range calls {
		w := e.mustDo("POST", "/v1/functions/sample/invoke", invokerKey, `{"n":1}`, http.StatusOK)
		last = w.Header().Get("X-Fiso-Invocation-Id")
	}

	var rec struct {
		Provider string
		Decision struct {
			Policy, Strategy, Reason, Arm string
			Candidates                    []struct {
				DeploymentID       string   `json:"deployment_id"`
				Reason             string   `json:"reason"`
				PredictedLatencyMs *float64 `json:"predicted_latency_ms"`
				PredictedP95Ms     *float64 `json:"predicted_p95_ms"`
				PredictedCostUSD   *float64 `json:"predicted_cost_usd"`
				ColdStartRisk      *float64 `json:"cold_start_risk"`
				Score              *float64 `json:"score"`
			}
		}
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/invocations/"+last, invokerKey, "", http.StatusOK).Body.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	d := rec.Decision
	if d.Policy != "ab" || (d.Arm != "a" && d.Arm != "b") || d.Reason == "" || len(d.Candidates) != 3 {
		t.Fatalf("decision = %+v, want policy ab, an arm, a reason and 3 candidates", d)
	}
	for _, c := range d.Candidates {
		if c.PredictedLatencyMs == nil || c.PredictedP95Ms == nil || c.PredictedCostUSD == nil || c.ColdStartRisk == nil || c.Score == nil || c.Reason == "" {
			t.Errorf("candidate %s is not fully explained: %+v", c.DeploymentID, c)
			continue
		}
		if *c.PredictedP95Ms < *c.PredictedLatencyMs || *c.PredictedCostUSD <= 0 {
			t.Errorf("candidate %s: p95 %g under median %g or cost %g", c.DeploymentID, *c.PredictedP95Ms, *c.PredictedLatencyMs, *c.PredictedCostUSD)
		}
	}

	var rep experiment.Report
	if err := json.Unmarshal(e.mustDo("GET", "/v1/experiments/ab", adminKey, "", http.StatusOK).Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Records != calls || len(rep.Arms) != 2 {
		t.Fatalf("report counts %d records in %d arms, want %d in 2: %+v", rep.Records, len(rep.Arms), calls, rep)
	}
	a, b := rep.Arms[0], rep.Arms[1]
	if a.Arm != "a" || a.Strategy != "cheapest" || b.Arm != "b" || b.Strategy != "fastest" {
		t.Fatalf("arms = %s/%s and %s/%s, want a/cheapest and b/fastest", a.Arm, a.Strategy, b.Arm, b.Strategy)
	}
	// A fair coin over 200 calls: each arm within 4 standard deviations.
	if a.Calls+b.Calls != calls || a.Calls < 72 || a.Calls > 128 {
		t.Errorf("arm a has %d calls and b %d; want about half each", a.Calls, b.Calls)
	}
	if a.ByProvider["aws"] != a.Calls || b.ByProvider["gcp"] != b.Calls {
		t.Errorf("cheapest went to %v, fastest to %v; want all aws and all gcp", a.ByProvider, b.ByProvider)
	}
	if rep.BMinusA == nil {
		t.Error("no b-minus-a comparison")
	}
}
