package predict

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// trained fits a model on the reference regime.
func trained(tb testing.TB) *Model {
	tb.Helper()
	m, err := Fit("fn", "aws:us-east-1", trueWorld().samples(99, 5000, t0, time.Minute), Options{Now: fixedNow})
	if err != nil {
		tb.Fatalf("Fit: %v", err)
	}
	return &m
}

func TestEncode(t *testing.T) {
	idleLog := math.Log1p(MaxIdleSeconds)
	tests := []struct {
		name string
		f    Features
		want map[int]float64 // positions checked
	}{
		{"unknowns", Features{IdleSeconds: Unknown, RecentLatencyMs: 0, DistanceKm: Unknown}, map[int]float64{
			FeatIntercept: 1, FeatLogIdle: idleLog, FeatIdleBeyondKeepAlive: 1,
			FeatLogRecentLatency: 0, FeatRecentLatencyUnknown: 1, FeatDistance1000Km: 0, FeatDistanceUnknown: 1,
		}},
		{"NaNs count as unknown", Features{PayloadBytes: math.NaN(), IdleSeconds: math.NaN(), RecentLatencyMs: math.NaN(), DistanceKm: math.NaN()}, map[int]float64{
			FeatLogPayload: 0, FeatLogIdle: idleLog, FeatIdleBeyondKeepAlive: 1, FeatRecentLatencyUnknown: 1, FeatDistanceUnknown: 1,
		}},
		{"known values", Features{PayloadBytes: 1023, IdleSeconds: 599, RecentLatencyMs: 99, DistanceKm: 0}, map[int]float64{
			FeatLogPayload: math.Log(1024), FeatLogIdle: math.Log(600), FeatIdleBeyondKeepAlive: 0,
			FeatLogRecentLatency: math.Log(100), FeatRecentLatencyUnknown: 0, FeatDistance1000Km: 0, FeatDistanceUnknown: 0,
		}},
		{"beyond the keep-alive", Features{IdleSeconds: 601, DistanceKm: 5500}, map[int]float64{
			FeatLogIdle: math.Log(602), FeatIdleBeyondKeepAlive: 1, FeatDistance1000Km: 5.5,
		}},
		{"caps", Features{PayloadBytes: math.Inf(1), IdleSeconds: 1e9, RecentLatencyMs: math.Inf(1), DistanceKm: 1e6}, map[int]float64{
			FeatLogPayload: math.Log1p(maxPayloadBytes), FeatLogIdle: idleLog,
			FeatLogRecentLatency: math.Log1p(maxLatencyMs), FeatDistance1000Km: maxDistanceKm / 1000,
		}},
		{"hour and weekday wrap", Features{Hour: 30, Weekday: -1}, map[int]float64{
			FeatHourSin: 1, FeatHourCos: math.Cos(math.Pi / 2), // hour 6
			FeatWeekdaySin: math.Sin(2 * math.Pi * 6 / 7), FeatWeekdayCos: math.Cos(2 * math.Pi * 6 / 7),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.f.Encode()
			for j, want := range tc.want {
				if math.Abs(x[j]-want) > 1e-12 {
					t.Errorf("%s = %v, want %v", FeatureName(j), x[j], want)
				}
			}
		})
	}
}

func TestCalendar(t *testing.T) {
	tests := []struct {
		at                  time.Time
		wantHour, wantWkday int
	}{
		{time.Date(2026, 11, 23, 5, 30, 0, 0, time.UTC), 5, 0},  // Monday
		{time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC), 23, 6}, // Sunday
		{time.Date(2026, 11, 23, 1, 0, 0, 0, time.FixedZone("UTC+3", 3*3600)), 22, 6},
	}
	for _, tc := range tests {
		h, d := Calendar(tc.at)
		if h != tc.wantHour || d != tc.wantWkday {
			t.Errorf("Calendar(%v) = %d, %d; want %d, %d", tc.at, h, d, tc.wantHour, tc.wantWkday)
		}
	}
}

func TestPredictWithoutModel(t *testing.T) {
	var zero Model
	old := *trained(t)
	old.FeatureVersion = FeatureVersion + 1
	f := Features{RecentLatencyMs: 120, IdleSeconds: 30}
	want := Prediction{LatencyMs: 120, LatencyP95Ms: 360, ColdStartRisk: PriorWarmColdRisk, Prior: true}
	for _, tc := range []struct {
		name string
		m    *Model
	}{{"nil", nil}, {"zero", &zero}, {"other feature version", &old}} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.m.Predict(f)
			if math.Abs(got.ColdStartRisk-want.ColdStartRisk) > 1e-12 {
				t.Errorf("cold-start risk = %v, want %v", got.ColdStartRisk, want.ColdStartRisk)
			}
			got.ColdStartRisk = want.ColdStartRisk
			if got != want {
				t.Errorf("Predict = %+v, want %+v", got, want)
			}
		})
	}
	if got := Prior(Features{IdleSeconds: Unknown}); got.LatencyMs != 0 || got.LatencyP95Ms != 0 ||
		math.Abs(got.ColdStartRisk-PriorIdleColdRisk) > 1e-12 {
		t.Errorf("Prior with nothing known = %+v, want 0 latencies and risk %v", got, PriorIdleColdRisk)
	}
}

func TestPredictAllocatesNothing(t *testing.T) {
	m := trained(t)
	f := Features{PayloadBytes: 2048, Hour: 13, Weekday: 2, IdleSeconds: 700, RecentLatencyMs: 85, DistanceKm: 1200}
	for _, tc := range []struct {
		name string
		m    *Model
	}{{"model", m}, {"prior", nil}} {
		var sink Prediction
		if got := testing.AllocsPerRun(1000, func() { sink = tc.m.Predict(f) }); got != 0 {
			t.Errorf("%s: Predict allocates %v times per call, want 0", tc.name, got)
		}
		_ = sink
	}
}

func TestPredictConcurrent(t *testing.T) {
	m := trained(t)
	fs := make([]Features, 100)
	want := make([]Prediction, len(fs))
	for i := range fs {
		fs[i] = Features{PayloadBytes: float64(i * 100), Hour: i % 24, Weekday: i % 7, IdleSeconds: float64(i * 20), RecentLatencyMs: float64(i), DistanceKm: float64(i * 50)}
		want[i] = m.Predict(fs[i])
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				for i, f := range fs {
					if got := m.Predict(f); got != want[i] {
						t.Errorf("concurrent Predict = %+v, want %+v", got, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestModelJSONRoundTrip(t *testing.T) {
	m := trained(t)
	m.Version = 7
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	for _, key := range []string{`"function"`, `"deployment"`, `"version":7`, `"trained_at"`, `"samples"`,
		`"metrics"`, `"rmse_log"`, `"p95_coverage"`, `"duration"`, `"residual_q95"`, `"cold_start"`, `"baseline"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
	var got Model
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if !reflect.DeepEqual(got, *m) {
		t.Errorf("round trip changed the model:\n got %+v\nwant %+v", got, *m)
	}
	if got != *m {
		t.Error("round-tripped model is not == the original")
	}
	for _, f := range trueWorld().samples(100, 200, t0, 7*time.Minute) {
		if a, b := m.Predict(f.Features), got.Predict(f.Features); a != b {
			t.Fatalf("Predict(%+v): original %+v, round-tripped %+v", f.Features, a, b)
		}
	}
}

func TestMetricsAlwaysMarshal(t *testing.T) {
	m := trained(t)
	wild := []Sample{
		{DurationMs: 1e-300, ColdKnown: true, ColdStart: true},
		{DurationMs: 1e300, Features: Features{PayloadBytes: math.Inf(1), IdleSeconds: math.NaN()}},
		{DurationMs: math.NaN()},
		{DurationMs: -5},
		{DurationMs: math.Inf(1)},
		{DurationMs: 50, Features: Features{RecentLatencyMs: math.Inf(-1)}, ColdKnown: true},
	}
	tests := []struct {
		name    string
		m       *Model
		samples []Sample
		wantN   int
	}{
		{"no samples", m, nil, 0},
		{"wild samples", m, wild, 3},
		{"prior, latency unknown", nil, wild, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.m, tc.samples)
			if got.N != tc.wantN {
				t.Errorf("N = %d, want %d", got.N, tc.wantN)
			}
			v := reflect.ValueOf(got)
			for i := range v.NumField() {
				if x, ok := v.Field(i).Interface().(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
					t.Errorf("%s = %v, want finite", v.Type().Field(i).Name, x)
				}
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("Marshal: %v", err)
			}
		})
	}
}

func FuzzPredict(f *testing.F) {
	m := trained(f)
	f.Add(0.0, 0, 0, 0.0, 0.0, 0.0)
	f.Add(1e6, 13, 4, 900.0, 120.0, 7000.0)
	f.Add(math.Inf(1), -5, 99, math.Inf(1), math.Inf(1), math.Inf(1))
	f.Add(math.NaN(), 24, 7, math.NaN(), math.NaN(), math.NaN())
	f.Add(-1e308, math.MinInt, math.MaxInt, -1e308, -1e308, -1e308)
	f.Add(1e308, 0, 0, math.Inf(-1), 1e-300, 1e308)
	f.Fuzz(func(t *testing.T, payload float64, hour, weekday int, idle, latency, dist float64) {
		feat := Features{PayloadBytes: payload, Hour: hour, Weekday: weekday, IdleSeconds: idle, RecentLatencyMs: latency, DistanceKm: dist}
		for _, mm := range []*Model{m, nil} {
			p := mm.Predict(feat)
			for _, v := range []float64{p.LatencyMs, p.LatencyP95Ms, p.ColdStartRisk} {
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Fatalf("Predict(%+v) = %+v: want finite, non-negative figures", feat, p)
				}
			}
			if p.LatencyP95Ms < p.LatencyMs {
				t.Fatalf("Predict(%+v) = %+v: p95 under the median", feat, p)
			}
			if p.ColdStartRisk > 1 {
				t.Fatalf("Predict(%+v) = %+v: risk over 1", feat, p)
			}
			if mm != nil && p.LatencyMs <= 0 {
				t.Fatalf("Predict(%+v) = %+v: a model's median must be positive", feat, p)
			}
		}
	})
}
