package predict

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Recovered weights must lie within maxSE standard errors of the truth, and
// the standard errors be small enough for that to mean something.
const maxSE = 4

func TestFitRecoversDurationWeights(t *testing.T) {
	tests := []struct {
		name  string
		sigma float64
		n     int
		tol   float64 // largest acceptable tolerance on a weight
	}{
		{"low noise", 0.1, 20000, 0.05},
		{"moderate noise", 0.3, 50000, 0.1},
		{"high noise", 0.8, 200000, 0.12},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := trueWorld()
			w.noise = func(r *rand.Rand) float64 { return tc.sigma * r.NormFloat64() }
			samples := w.samples(uint64(i+1), tc.n, t0, time.Minute)
			m, err := Fit("fn", "aws:us-east-1", samples, Options{Now: fixedNow})
			if err != nil {
				t.Fatalf("Fit: %v", err)
			}
			se := standardErrors(t, samples[:m.Samples], func(*Sample, *Vector) float64 { return 1 / (tc.sigma * tc.sigma) })
			for j, want := range w.dur {
				tol := maxSE * se[j]
				if tol > tc.tol {
					t.Errorf("weight %s: %d standard errors = %.4f, want at most %.4f: more samples needed", FeatureName(j), maxSE, tol, tc.tol)
				}
				if got := m.Duration.Weights[j]; math.Abs(got-want) > tol {
					t.Errorf("weight %s = %.4f, want %.4f ± %.4f", FeatureName(j), got, want, tol)
				}
			}
			if got := m.Duration.ResidualSD; math.Abs(got-tc.sigma) > 0.03*tc.sigma {
				t.Errorf("residual SD = %.4f, want %.4f ± 3%%", got, tc.sigma)
			}
			// For normal noise in ln ms, the median is the linear prediction
			// and the p95 1.645 SDs above it.
			if got := m.Duration.ResidualQ50; math.Abs(got) > 0.03*tc.sigma {
				t.Errorf("residual q50 = %.4f, want 0 ± %.4f", got, 0.03*tc.sigma)
			}
			if got, want := m.Duration.ResidualQ95, 1.645*tc.sigma; math.Abs(got-want) > 0.03*want {
				t.Errorf("residual q95 = %.4f, want %.4f ± 3%%", got, want)
			}
		})
	}
}

func TestFitRecoversColdStartWeights(t *testing.T) {
	w := trueWorld()
	samples := w.samples(7, 200000, t0, 10*time.Second)
	m, err := Fit("fn", "gcp:us-central1", samples, Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	if got, want := m.ColdStart.Method, ColdLogistic; got != want {
		t.Fatalf("cold-start method = %q, want %q", got, want)
	}
	se := standardErrors(t, samples[:m.Samples], func(s *Sample, x *Vector) float64 {
		if !s.ColdKnown {
			return 0
		}
		p := sigmoid(dot(&w.cold, x))
		return p * (1 - p)
	})
	for j, want := range w.cold {
		tol := maxSE * se[j]
		if tol > 0.4 {
			t.Errorf("cold weight %s: %d standard errors = %.4f, want at most 0.4: more samples needed", FeatureName(j), maxSE, tol)
		}
		if got := m.ColdStart.Weights[j]; math.Abs(got-want) > tol {
			t.Errorf("cold weight %s = %.4f, want %.4f ± %.4f", FeatureName(j), got, want, tol)
		}
	}
	if m.ColdStart.Iterations < 2 || m.ColdStart.Iterations >= maxNewtonIter {
		t.Errorf("Newton iterations = %d, want convergence in 2..%d", m.ColdStart.Iterations, maxNewtonIter-1)
	}
	// A calibrated model's log loss on fresh data is near the truth's.
	fresh := w.samples(8, 20000, t0.Add(24*time.Hour*30), 10*time.Second)
	truth := &Model{Samples: 1, FeatureVersion: FeatureVersion, ColdStart: ColdModel{Weights: w.cold}}
	got, best := Evaluate(&m, fresh).ColdLogLoss, Evaluate(truth, fresh).ColdLogLoss
	if got > best*1.01 {
		t.Errorf("cold log loss = %.4f, want within 1%% of the true model's %.4f", got, best)
	}
}

func TestP95Coverage(t *testing.T) {
	tests := []struct {
		name  string
		noise func(r *rand.Rand) float64
	}{
		{"log-normal", func(r *rand.Rand) float64 { return 0.4 * r.NormFloat64() }},
		{"right-skewed", func(r *rand.Rand) float64 { return 0.3 * (r.ExpFloat64() - 1) }},
		{"heavy-tailed", func(r *rand.Rand) float64 {
			// Student's t with 3 degrees of freedom, scaled.
			chi := 0.0
			for range 3 {
				z := r.NormFloat64()
				chi += z * z
			}
			return 0.2 * r.NormFloat64() / math.Sqrt(chi/3)
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := trueWorld()
			w.noise = tc.noise
			m, err := Fit("fn", "dep", w.samples(uint64(10+i), 20000, t0, time.Minute), Options{Now: fixedNow})
			if err != nil {
				t.Fatalf("Fit: %v", err)
			}
			fresh := w.samples(uint64(20+i), 20000, t0.Add(60*24*time.Hour), time.Minute)
			got := Evaluate(&m, fresh).P95Coverage
			if got < 0.94 || got > 0.96 {
				t.Errorf("p95 coverage on fresh data = %.4f, want 0.95 ± 0.01", got)
			}
			if h := m.Metrics.P95Coverage; h < 0.93 || h > 0.97 {
				t.Errorf("p95 coverage on the hold-out = %.4f, want 0.95 ± 0.02", h)
			}
		})
	}
}

func TestP95CoverageSmallSample(t *testing.T) {
	// With 60 training samples and 12 weights, in-sample residuals
	// understate the error; the widened p95 must still cover about 95%
	// out of sample, averaged over many fits. The samples span a week, so
	// predictions interpolate the weekly cycle.
	w := trueWorld()
	var sum float64
	const fits = 200
	for i := range fits {
		m, err := Fit("fn", "dep", w.samples(uint64(1000+i), 75, t0, 135*time.Minute), Options{Now: fixedNow})
		if err != nil {
			t.Fatalf("Fit: %v", err)
		}
		sum += Evaluate(&m, w.samples(uint64(5000+i), 500, t0, 17*time.Minute)).P95Coverage
	}
	if got := sum / fits; got < 0.93 || got > 0.97 {
		t.Errorf("mean p95 coverage over %d small fits = %.4f, want 0.95 ± 0.02", fits, got)
	}
}

func TestFitTooFewSamples(t *testing.T) {
	w := trueWorld()
	enough := w.samples(1, 60, t0, time.Minute)
	withBad := slices.Clone(enough)
	for i := range 20 { // 40 usable left
		withBad[i*3].DurationMs = []float64{0, -1, math.NaN(), math.Inf(1)}[i%4]
	}
	tests := []struct {
		name    string
		samples []Sample
		opt     Options
	}{
		{"none", nil, Options{}},
		{"under the default", enough[:DefaultMinSamples-1], Options{}},
		{"under MinSamples", enough, Options{MinSamples: 61}},
		{"unusable durations do not count", withBad, Options{}},
		{"MinSamples floored", enough[:MinFitSamples-1], Options{MinSamples: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fit("fn", "dep", tc.samples, tc.opt)
			if !errors.Is(err, ErrTooFewSamples) {
				t.Errorf("Fit error = %v, want ErrTooFewSamples", err)
			}
		})
	}
	if _, err := Fit("fn", "dep", enough[:DefaultMinSamples], Options{}); err != nil {
		t.Errorf("Fit on exactly %d samples: %v, want no error", DefaultMinSamples, err)
	}
}

func TestFitInvalidOptions(t *testing.T) {
	samples := trueWorld().samples(1, 100, t0, time.Minute)
	tests := []struct {
		name string
		opt  Options
	}{
		{"negative MinSamples", Options{MinSamples: -1}},
		{"hold-out over half", Options{HoldoutFraction: 0.6}},
		{"negative hold-out", Options{HoldoutFraction: -0.1}},
		{"NaN hold-out", Options{HoldoutFraction: math.NaN()}},
		{"negative ridge", Options{Ridge: -1}},
		{"infinite cold ridge", Options{ColdRidge: math.Inf(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Fit("fn", "dep", samples, tc.opt); !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("Fit error = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func TestFitHoldoutIsNewest(t *testing.T) {
	w := trueWorld()
	sorted := w.samples(3, 1000, t0, time.Minute)
	shuffled := slices.Clone(sorted)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	before := slices.Clone(shuffled)
	// An unusable sample, newest of all, must not land in the hold-out.
	shuffled = append(shuffled, Sample{At: t0.Add(time.Hour * 1000), DurationMs: math.NaN()})

	m, err := Fit("fn", "dep", shuffled, Options{Now: fixedNow, HoldoutFraction: 0.25})
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	if !slices.EqualFunc(before, shuffled[:len(before)], func(a, b Sample) bool { return a == b }) {
		t.Error("Fit reordered the caller's samples")
	}
	if got, want := m.Samples, 750; got != want {
		t.Errorf("Samples = %d, want %d", got, want)
	}
	if got, want := m.Skipped, 1; got != want {
		t.Errorf("Skipped = %d, want %d", got, want)
	}
	if got, want := m.Metrics.N, 250; got != want {
		t.Errorf("Metrics.N = %d, want %d", got, want)
	}
	checks := []struct {
		name      string
		got, want time.Time
	}{
		{"TrainFrom", m.TrainFrom, sorted[0].At},
		{"TrainTo", m.TrainTo, sorted[749].At},
		{"HoldoutFrom", m.HoldoutFrom, sorted[750].At},
		{"HoldoutTo", m.HoldoutTo, sorted[999].At},
		{"TrainedAt", m.TrainedAt, fixedNow()},
	}
	for _, c := range checks {
		if !c.got.Equal(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got, want := m.Metrics, Evaluate(&m, sorted[750:]); got != want {
		t.Errorf("Metrics = %+v, want those on the 250 newest samples %+v", got, want)
	}
	// Training on the same samples in order gives the same model.
	m2, err := Fit("fn", "dep", sorted, Options{Now: fixedNow, HoldoutFraction: 0.25})
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	m2.Skipped = m.Skipped
	if m2 != m {
		t.Errorf("model from sorted samples differs from the one from shuffled samples:\n%+v\n%+v", m2, m)
	}
}

func TestFitConstantFeatures(t *testing.T) {
	// Every call alike but for its duration: only the intercept can be
	// learnt, and the fit must not fail on the singular features.
	r := rand.New(rand.NewPCG(5, 5))
	samples := make([]Sample, 200)
	for i := range samples {
		samples[i] = Sample{
			Features:   Features{PayloadBytes: 1000, Hour: 3, Weekday: 2, IdleSeconds: 5, RecentLatencyMs: 40, DistanceKm: Unknown},
			At:         t0.Add(time.Duration(i) * time.Second),
			DurationMs: math.Exp(4 + 0.2*r.NormFloat64()),
		}
	}
	m, err := Fit("fn", "dep", samples, Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	p := m.Predict(samples[0].Features)
	if math.Abs(math.Log(p.LatencyMs)-4) > 0.1 {
		t.Errorf("median = %.2f ms, want about e^4 = %.2f", p.LatencyMs, math.Exp(4))
	}
	if p.LatencyP95Ms <= p.LatencyMs {
		t.Errorf("p95 %.2f not above median %.2f", p.LatencyP95Ms, p.LatencyMs)
	}
	for j := 1; j < NumFeatures; j++ {
		if w := m.Duration.Weights[j]; w != 0 {
			t.Errorf("weight %s = %v, want 0 for a constant feature", FeatureName(j), w)
		}
	}
}

func TestFitColdStartFallbacks(t *testing.T) {
	base := trueWorld().samples(4, 1000, t0, time.Minute)
	label := func(known func(i int) bool, cold func(i int) bool) []Sample {
		s := slices.Clone(base)
		for i := range s {
			s[i].ColdKnown, s[i].ColdStart = known(i), cold(i)
		}
		return s
	}
	never := func(int) bool { return false }
	always := func(int) bool { return true }
	tests := []struct {
		name     string
		samples  []Sample
		method   string
		warmRisk float64 // predicted for a call 10 s after the previous one
		idleRisk float64 // and for one after an unknown idle time
	}{
		{"no labels: prior", label(never, always), ColdPrior, PriorWarmColdRisk, PriorIdleColdRisk},
		{"all warm: base rate", label(always, never), ColdBaseRate, 0.5 / 801, 0.5 / 801},
		{"all cold: base rate", label(always, always), ColdBaseRate, 800.5 / 801, 800.5 / 801},
		{"four cold: base rate", label(always, func(i int) bool { return i%200 == 0 }), ColdBaseRate, 4.5 / 801, 4.5 / 801},
		{"both classes: logistic", label(always, func(i int) bool { return i%2 == 0 }), ColdLogistic, -1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Fit("fn", "dep", tc.samples, Options{Now: fixedNow})
			if err != nil {
				t.Fatalf("Fit: %v", err)
			}
			if m.ColdStart.Method != tc.method {
				t.Errorf("method = %q, want %q", m.ColdStart.Method, tc.method)
			}
			warm := m.Predict(Features{IdleSeconds: 10}).ColdStartRisk
			idle := m.Predict(Features{IdleSeconds: Unknown}).ColdStartRisk
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"warm", warm, tc.warmRisk}, {"idle", idle, tc.idleRisk}} {
				if math.IsNaN(c.got) || c.got < 0 || c.got > 1 {
					t.Errorf("%s risk = %v, want a probability", c.name, c.got)
				}
				if c.want >= 0 && math.Abs(c.got-c.want) > 1e-9 {
					t.Errorf("%s risk = %v, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestFitSeparableColdStarts(t *testing.T) {
	// Calls beyond the keep-alive always start cold, the others never: the
	// logistic weights would diverge without the ridge.
	samples := trueWorld().samples(6, 5000, t0, time.Minute)
	for i := range samples {
		x := samples[i].Encode()
		samples[i].ColdKnown, samples[i].ColdStart = true, x[FeatIdleBeyondKeepAlive] == 1
	}
	m, err := Fit("fn", "dep", samples, Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	if m.ColdStart.Method != ColdLogistic {
		t.Fatalf("method = %q, want %q", m.ColdStart.Method, ColdLogistic)
	}
	if warm := m.Predict(Features{IdleSeconds: 10}).ColdStartRisk; warm > 0.05 {
		t.Errorf("risk 10 s after a call = %.4f, want < 0.05", warm)
	}
	if idle := m.Predict(Features{IdleSeconds: 3600}).ColdStartRisk; idle < 0.95 {
		t.Errorf("risk an hour after a call = %.4f, want > 0.95", idle)
	}
	if m.Metrics.ColdLogLoss > 0.1 {
		t.Errorf("hold-out cold log loss = %.4f, want < 0.1", m.Metrics.ColdLogLoss)
	}
}
