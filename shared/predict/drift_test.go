package predict

import (
	"strings"
	"testing"
	"time"
)

func TestDrift(t *testing.T) {
	m := trained(t)
	later := t0.Add(60 * 24 * time.Hour)
	fresh := func(n int) []Sample { return trueWorld().samples(77, n, later, 3*time.Minute) }
	modify := func(s []Sample, fn func(*Sample)) []Sample {
		for i := range s {
			fn(&s[i])
		}
		return s
	}
	tests := []struct {
		name    string
		m       *Model
		recent  []Sample
		drifted bool
		reason  string // in one of the reasons
	}{
		{"same distribution", m, fresh(2000), false, ""},
		{"same distribution, small window", m, fresh(DriftMinSamples), false, ""},
		{"payloads 100 times larger", m, modify(fresh(2000), func(s *Sample) { s.PayloadBytes *= 100 }), true, "log_payload_bytes"},
		{"recent latency lost", m, modify(fresh(2000), func(s *Sample) { s.RecentLatencyMs = 0 }), true, "recent_latency_unknown"},
		{"calls three times slower", m, modify(fresh(2000), func(s *Sample) { s.DurationMs *= 3 }), true, "MAPE"},
		{"p95 broken by noisier calls", m, modify(fresh(2000), func(s *Sample) {
			if s.At.Minute()%2 == 0 {
				s.DurationMs *= 2.5
			}
		}), true, "p95 covers"},
		{"only the hour window differs", m, trueWorld().samples(78, 500, later, time.Second), false, ""},
		{"too few samples", m, modify(fresh(DriftMinSamples-1), func(s *Sample) { s.DurationMs *= 10 }), false, "need"},
		{"no model", nil, fresh(100), false, "no trained model"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Drift(tc.m, tc.recent)
			if r.Drifted != tc.drifted {
				t.Errorf("Drifted = %v, want %v; reasons %q", r.Drifted, tc.drifted, r.Reasons)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(r.Reasons, "; "), tc.reason) {
				t.Errorf("Reasons = %q, want one mentioning %q", r.Reasons, tc.reason)
			}
			if !tc.drifted && tc.reason == "" && len(r.Reasons) != 0 {
				t.Errorf("Reasons = %q, want none", r.Reasons)
			}
		})
	}
}

func TestDriftReport(t *testing.T) {
	m := trained(t)
	recent := trueWorld().samples(79, 1000, t0.Add(60*24*time.Hour), 3*time.Minute)
	for i := range recent {
		recent[i].DistanceKm = 15000
		recent[i].DurationMs *= 4 // the longer distance alone predicts about 1.5 times slower
	}
	r := Drift(m, recent)
	if r.N != len(recent) {
		t.Errorf("N = %d, want %d", r.N, len(recent))
	}
	if r.ErrorRatio <= DriftErrorRatio {
		t.Errorf("ErrorRatio = %.2f, want > %.2f for durations quadrupled", r.ErrorRatio, DriftErrorRatio)
	}
	var dist *FeatureShift
	for i, fs := range r.Features {
		switch fs.Name {
		case "hour_sin", "hour_cos", "weekday_sin", "weekday_cos", "intercept":
			t.Errorf("feature %s reported; calendar features and the intercept are left out", fs.Name)
		case "distance_1000km":
			dist = &r.Features[i]
		}
	}
	if dist == nil {
		t.Fatal("no distance_1000km in the report")
	}
	if !dist.Drifted || dist.RecentMean < 14.9 || dist.BaselineMean > 7 {
		t.Errorf("distance shift = %+v, want drifted, recent mean 15 and baseline about 6", *dist)
	}
}
