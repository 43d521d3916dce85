package predict

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestChallenge(t *testing.T) {
	truth := trueWorld()
	// shifted is another regime: slower, payload-bound, far more sensitive
	// to distance.
	shifted := trueWorld()
	shifted.dur[FeatIntercept] += 0.5
	shifted.dur[FeatLogPayload] = 0.3
	shifted.dur[FeatDistance1000Km] = 0.2

	fitOn := func(w world, seed uint64, n int, start time.Time) *Model {
		t.Helper()
		m, err := Fit("fn", "dep", w.samples(seed, n, start, time.Minute), Options{Now: fixedNow})
		if err != nil {
			t.Fatalf("Fit: %v", err)
		}
		return &m
	}
	later := t0.Add(30 * 24 * time.Hour)
	// corrupted: the older 80% from the shifted regime, the newest 20%
	// (the hold-out) from the true one.
	corrupted := append(shifted.samples(31, 8000, later, time.Minute),
		truth.samples(32, 2000, later.Add(8000*time.Minute), time.Minute)...)
	sameData := truth.samples(33, 5000, later, time.Minute)
	tied := fitOn(truth, 33, 5000, later)

	tests := []struct {
		name     string
		champion *Model
		samples  []Sample
		opt      Options
		promoted bool
		reason   string
	}{
		{"no champion: promoted", nil, truth.samples(30, 5000, later, time.Minute), Options{}, true, "no champion"},
		{"stale champion after a regime change: promoted",
			fitOn(truth, 21, 20000, t0), shifted.samples(34, 5000, later, time.Minute), Options{}, true, "promoted"},
		{"challenger trained on another regime than the hold-out: champion kept",
			fitOn(truth, 22, 20000, t0), corrupted, Options{}, false, "champion kept"},
		// 30 training samples for 12 weights: the challenger's estimation
		// error alone makes its errors about 30% larger.
		{"challenger fitted on far less data than the champion: champion kept",
			fitOn(truth, 23, 100000, t0), truth.samples(35, 60, later, 3*time.Hour),
			Options{HoldoutFraction: 0.5}, false, "champion kept"},
		{"equal scores: champion kept", tied, sameData, Options{}, false, "champion kept"},
		{"champion of an older feature encoding: promoted",
			func() *Model { m := *fitOn(truth, 24, 5000, t0); m.FeatureVersion--; return &m }(),
			truth.samples(36, 5000, later, time.Minute), Options{}, true, "feature version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Now = fixedNow
			out, err := Challenge(tc.champion, "fn", "dep", tc.samples, opt)
			if err != nil {
				t.Fatalf("Challenge: %v", err)
			}
			if out.Promoted != tc.promoted {
				t.Errorf("Promoted = %v, want %v (%s)", out.Promoted, tc.promoted, out.Reason)
			}
			if !strings.Contains(out.Reason, tc.reason) {
				t.Errorf("Reason = %q, want it to mention %q", out.Reason, tc.reason)
			}
			switch {
			case out.Keep == nil:
				t.Fatal("Keep = nil")
			case tc.promoted && *out.Keep != out.Challenger:
				t.Error("promoted, but Keep is not the challenger")
			case !tc.promoted && out.Keep != tc.champion:
				t.Error("champion kept, but Keep is not the champion")
			}
			if out.ChallengerMetrics != out.Challenger.Metrics {
				t.Errorf("ChallengerMetrics = %+v, want the challenger's hold-out metrics %+v",
					out.ChallengerMetrics, out.Challenger.Metrics)
			}
			if tc.champion != nil {
				if out.ChampionMetrics.N != out.ChallengerMetrics.N {
					t.Errorf("champion judged on %d samples, challenger on %d: want the same hold-out",
						out.ChampionMetrics.N, out.ChallengerMetrics.N)
				}
				better := out.ChallengerMetrics.Score() < out.ChampionMetrics.Score()
				if better != out.Promoted {
					t.Errorf("challenger %s %.4f vs champion %.4f, but Promoted = %v",
						PrimaryMetric, out.ChallengerMetrics.Score(), out.ChampionMetrics.Score(), out.Promoted)
				}
			}
		})
	}
}

func TestChallengeJudgesOnNewest(t *testing.T) {
	// The champion knows only the shifted regime, which the newest samples
	// follow; the challenger trains on the older, true-regime samples. A
	// hold-out of the newest samples favours the champion; a hold-out
	// drawn from the older samples would not.
	truth := trueWorld()
	shifted := trueWorld()
	shifted.dur[FeatIntercept] += 0.7
	champion, err := Fit("fn", "dep", shifted.samples(41, 20000, t0, time.Minute), Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	later := t0.Add(30 * 24 * time.Hour)
	samples := append(truth.samples(42, 8000, later, time.Minute),
		shifted.samples(43, 2000, later.Add(8000*time.Minute), time.Minute)...)
	// Newest last in time but first in the slice: Challenge must sort.
	for i, j := 0, len(samples)-1; i < j; i, j = i+1, j-1 {
		samples[i], samples[j] = samples[j], samples[i]
	}
	out, err := Challenge(&champion, "fn", "dep", samples, Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("Challenge: %v", err)
	}
	if out.Promoted {
		t.Errorf("challenger promoted (%s)", out.Reason)
	}
	if got, want := out.Challenger.HoldoutFrom, later.Add(8000*time.Minute); !got.Equal(want) {
		t.Errorf("hold-out starts at %v, want %v", got, want)
	}
}

func TestChallengeErrors(t *testing.T) {
	truth := trueWorld()
	champion, err := Fit("fn", "dep", truth.samples(51, 1000, t0, time.Minute), Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	tests := []struct {
		name       string
		function   string
		deployment string
		samples    []Sample
		want       error
	}{
		{"too few samples", "fn", "dep", truth.samples(52, 10, t0, time.Minute), ErrTooFewSamples},
		{"another function", "other", "dep", truth.samples(53, 1000, t0, time.Minute), ErrMismatch},
		{"another deployment", "fn", "azure:eastus", truth.samples(54, 1000, t0, time.Minute), ErrMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Challenge(&champion, tc.function, tc.deployment, tc.samples, Options{})
			if !errors.Is(err, tc.want) {
				t.Errorf("Challenge error = %v, want %v", err, tc.want)
			}
			if out.Keep != &champion || out.Promoted {
				t.Errorf("Keep = %p, Promoted = %v; want the champion %p kept", out.Keep, out.Promoted, &champion)
			}
		})
	}
}
