package predict

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// t0 is the start of generated traffic: a Monday.
var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// world generates calls from known weights: ln(duration) = dur·x + noise and
// P(cold) = sigmoid(cold·x), x being the encoded features.
type world struct {
	dur, cold Vector
	// noise draws a residual in ln ms; nil means normal with SD 0.3.
	noise func(r *rand.Rand) float64
	// coldKnown is the share of calls whose cold-start flag is reported.
	coldKnown float64
}

// trueWorld is the reference regime of the tests.
func trueWorld() world {
	return world{
		dur: Vector{
			FeatIntercept:            3.0,
			FeatLogPayload:           0.08,
			FeatHourSin:              0.10,
			FeatHourCos:              -0.05,
			FeatWeekdaySin:           0.03,
			FeatWeekdayCos:           0.02,
			FeatLogIdle:              0.02,
			FeatIdleBeyondKeepAlive:  0.6,
			FeatLogRecentLatency:     0.3,
			FeatRecentLatencyUnknown: 1.2,
			FeatDistance1000Km:       0.05,
			FeatDistanceUnknown:      0.2,
		},
		cold: Vector{
			FeatIntercept:            -2.5,
			FeatLogPayload:           0.05,
			FeatLogIdle:              0.15,
			FeatIdleBeyondKeepAlive:  2.0,
			FeatRecentLatencyUnknown: 0.5,
			FeatDistance1000Km:       -0.05,
		},
		coldKnown: 0.8,
	}
}

// features draws the features of a call at at.
func drawFeatures(r *rand.Rand, at time.Time) Features {
	f := Features{
		PayloadBytes:    math.Exp(math.Log(100) + r.Float64()*math.Log(1e4)), // 100 B to 1 MB
		IdleSeconds:     Unknown,
		RecentLatencyMs: 0,
		DistanceKm:      Unknown,
	}
	f.Hour, f.Weekday = Calendar(at)
	switch u := r.Float64(); {
	case u < 0.05: // never invoked, or not known
	case u < 0.6:
		f.IdleSeconds = r.ExpFloat64() * 60
	default:
		f.IdleSeconds = r.ExpFloat64() * 3000
	}
	if r.Float64() < 0.9 {
		f.RecentLatencyMs = math.Exp(math.Log(80) + 0.4*r.NormFloat64())
	}
	if r.Float64() < 0.85 {
		f.DistanceKm = r.Float64() * 12000
	}
	return f
}

// samples generates n calls step apart from start, seeded.
func (w world) samples(seed uint64, n int, start time.Time, step time.Duration) []Sample {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	noise := w.noise
	if noise == nil {
		noise = func(r *rand.Rand) float64 { return 0.3 * r.NormFloat64() }
	}
	out := make([]Sample, n)
	for i := range out {
		at := start.Add(time.Duration(i) * step)
		s := Sample{Features: drawFeatures(r, at), At: at}
		x := s.Encode()
		s.DurationMs = math.Exp(dot(&w.dur, &x) + noise(r))
		s.ColdStart = r.Float64() < sigmoid(dot(&w.cold, &x))
		s.ColdKnown = r.Float64() < w.coldKnown
		out[i] = s
	}
	return out
}

// fixedNow is a clock for Options.Now.
func fixedNow() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }

// standardErrors are the asymptotic standard errors of weights fitted on
// samples: sqrt(diag(I⁻¹)), I = Σ wt·x·xᵀ being the Fisher information, with
// wt = 1/σ² for least squares and p(1-p) for logistic regression. Samples
// for which wt returns 0 do not count.
func standardErrors(tb testing.TB, samples []Sample, wt func(s *Sample, x *Vector) float64) Vector {
	tb.Helper()
	info := mat.NewSymDense(NumFeatures, nil)
	for i := range samples {
		x := samples[i].Encode()
		w := wt(&samples[i], &x)
		if w == 0 {
			continue
		}
		for j := range NumFeatures {
			for k := j; k < NumFeatures; k++ {
				info.SetSym(j, k, info.At(j, k)+w*x[j]*x[k])
			}
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(info) {
		tb.Fatal("information matrix not positive definite")
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		tb.Fatalf("invert information: %v", err)
	}
	var se Vector
	for j := range se {
		se[j] = math.Sqrt(inv.At(j, j))
	}
	return se
}
