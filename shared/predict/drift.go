package predict

import (
	"fmt"
	"math"
)

// Drift thresholds.
const (
	// DriftMinSamples is the fewest recent usable samples Drift judges on.
	DriftMinSamples = 30
	// DriftFeatureScore is the standardised mean shift of a feature,
	// |recent mean - baseline mean| / baseline SD, beyond which it has
	// drifted; the shift must also be DriftFeatureZ standard errors of the
	// recent mean (score·√n), so a small recent window is not flagged for
	// noise.
	DriftFeatureScore = 0.5
	DriftFeatureZ     = 4.0
	// DriftMinSD floors the baseline SD in the score, so a feature constant
	// in training (all payloads alike, distance always known) can still be
	// seen to move.
	DriftMinSD = 0.05
	// DriftErrorRatio is the ratio of recent to hold-out MAPE beyond which
	// the model's errors have drifted.
	DriftErrorRatio = 1.5
	// DriftMinCoverage is the recent p95 coverage below which the p95 no
	// longer holds.
	DriftMinCoverage = 0.8
)

// FeatureShift compares one encoded feature's recent mean with its training
// mean.
type FeatureShift struct {
	Name         string  `json:"name"`
	BaselineMean float64 `json:"baseline_mean"`
	RecentMean   float64 `json:"recent_mean"`
	// Score is |RecentMean - BaselineMean| / max(baseline SD, DriftMinSD).
	Score   float64 `json:"score"`
	Drifted bool    `json:"drifted"`
}

// DriftReport says whether a model still describes recent calls.
type DriftReport struct {
	Drifted bool `json:"drifted"`
	// N is the number of recent usable samples.
	N        int            `json:"n"`
	Features []FeatureShift `json:"features"`
	// Recent is the model's performance on the recent samples, ErrorRatio
	// their MAPE over the model's hold-out MAPE (0 when either is
	// unavailable).
	Recent     Metrics  `json:"recent"`
	ErrorRatio float64  `json:"error_ratio"`
	Reasons    []string `json:"reasons"`
}

// Drift compares recent samples with the model's training baseline: the
// standardised mean shift of each encoded feature, the ratio of the recent
// MAPE to the model's hold-out MAPE, and the recent p95 coverage. It flags
// drift when any passes its threshold (see the Drift constants), and not at
// all with fewer than DriftMinSamples usable recent samples or without a
// model; Reasons then say so.
//
// The hour and weekday features are left out: their distribution depends on
// the window recent samples cover (a one-hour window has one hour), not on
// the workload. Pass recent samples spanning at least a few hours; error
// drift catches a changed daily cycle.
func Drift(m *Model, recent []Sample) DriftReport {
	var r DriftReport
	if m == nil || m.Samples == 0 {
		r.Reasons = []string{"no trained model to compare with"}
		return r
	}
	var sum Vector
	for i := range recent {
		if !recent[i].usable() {
			continue
		}
		x := recent[i].Encode()
		for j := range sum {
			sum[j] += x[j]
		}
		r.N++
	}
	if r.N < DriftMinSamples {
		r.Reasons = []string{fmt.Sprintf("%d recent samples, need %d to judge drift", r.N, DriftMinSamples)}
		return r
	}
	n := float64(r.N)
	for j := range NumFeatures {
		switch j {
		case FeatIntercept, FeatHourSin, FeatHourCos, FeatWeekdaySin, FeatWeekdayCos:
			continue
		}
		fs := FeatureShift{Name: FeatureName(j), BaselineMean: m.Baseline.Mean[j], RecentMean: sum[j] / n}
		fs.Score = math.Abs(fs.RecentMean-fs.BaselineMean) / max(m.Baseline.SD[j], DriftMinSD)
		if fs.Score > DriftFeatureScore && fs.Score*math.Sqrt(n) > DriftFeatureZ {
			fs.Drifted = true
			r.Reasons = append(r.Reasons, fmt.Sprintf("feature %s moved %.2f baseline SDs (mean %.4g -> %.4g)",
				fs.Name, fs.Score, fs.BaselineMean, fs.RecentMean))
		}
		r.Features = append(r.Features, fs)
	}

	r.Recent = Evaluate(m, recent)
	if m.Metrics.N > 0 && m.Metrics.MAPE > 0 {
		r.ErrorRatio = r.Recent.MAPE / m.Metrics.MAPE
		if r.ErrorRatio > DriftErrorRatio {
			r.Reasons = append(r.Reasons, fmt.Sprintf("MAPE %.3f is %.2f times the hold-out's %.3f",
				r.Recent.MAPE, r.ErrorRatio, m.Metrics.MAPE))
		}
	}
	if r.Recent.P95Coverage < DriftMinCoverage {
		r.Reasons = append(r.Reasons, fmt.Sprintf("p95 covers %.1f%% of recent calls, below %.0f%%",
			100*r.Recent.P95Coverage, 100*DriftMinCoverage))
	}
	r.Drifted = len(r.Reasons) > 0
	return r
}
