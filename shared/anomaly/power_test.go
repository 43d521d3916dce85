package anomaly_test

import (
	"math/rand/v2"
	"testing"

	"github.com/fiso-dev/fiso/shared/anomaly"
)

// TestDetectionPower measures how often one spike at a busy hour is found,
// per spike size and baseline, over 150 generated series (10% noise) each,
// and holds the detector to what the README states.
func TestDetectionPower(t *testing.T) {
	shapes := []shape{flat(1), daily(0.2, 2), businessWeek(3, 0.5, 0.2)}
	phases := []struct {
		name   string
		lo, hi int // hour range of the spike
		// least share found, for 2x and 3x spikes
		want2, want3 float64
	}{
		{"level", 30, 66, 0.25, 0.55},
		{"hour-of-day", 4 * 24, 20 * 24, 0.85, 0.98},
		{"hour-of-week", 4*168 + 72, 8*168 - 1, 0.95, 0.98},
	}
	for _, k := range []float64{2, 3} {
		for _, ph := range phases {
			rng := rand.New(rand.NewPCG(42, uint64(k*10)))
			hit, n := 0, 0
			for trial := 0; trial < 150; trial++ {
				s := shapes[trial%3]
				xs := generate(s, 8*168, noise, uint64(1000+trial))
				h := ph.lo + rng.IntN(ph.hi-ph.lo)
				for s(h) < 0.9*maxOf(s) { // a busy hour
					h = ph.lo + rng.IntN(ph.hi-ph.lo)
				}
				xs[h] = s(h) * k
				v := judge(t, xs[:h+1], h, anomaly.Config{})
				n++
				if v.Anomalous {
					hit++
				}
			}
			share := float64(hit) / float64(n)
			t.Logf("%gx spike, %s: %d/%d = %.0f%%", k, ph.name, hit, n, 100*share)
			if want := map[float64]float64{2: ph.want2, 3: ph.want3}[k]; share < want {
				t.Errorf("%gx spikes found %.0f%% of the time by the %s baseline, want at least %.0f%%", k, 100*share, ph.name, 100*want)
			}
		}
	}
}

func maxOf(s shape) float64 {
	m := 0.0
	for h := 0; h < 168; h++ {
		m = max(m, s(h))
	}
	return m
}
