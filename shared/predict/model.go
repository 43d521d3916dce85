// Package predict is FISO's predictive engine. Per function and deployment
// (one function on one cloud and region) it predicts, from what is known
// before a call, the call's round-trip duration (median and 95th percentile)
// and the probability that it starts cold. The router ranks deployments with
// it; a scheduled job retrains models, keeps the better of the stored and the
// new one ([Challenge]) and watches them for drift ([Drift]).
//
// # Model
//
// Features are encoded in one place, [Features.Encode], for training and
// serving alike: an intercept, ln(1+payload bytes), the hour and weekday as
// points on a circle (sine and cosine), ln(1+idle seconds) plus an indicator
// of idle beyond [KeepAliveSeconds], ln(1+recent latency) and the distance in
// thousands of km, each of the last two with an indicator for "unknown".
//
//   - Duration: least squares on ln(duration ms) with a tiny ridge, fitted on
//     standardised features from XᵀX and Xᵀy accumulated in one streaming
//     pass and solved by Cholesky (gonum). The median is exp(x·β + q50) and
//     the p95 exp(x·β + q95), q50 and q95 being empirical quantiles of the
//     training residuals in log space (q50 is about 0 for log-normal noise;
//     the empirical quantiles assume no shape). The spread q95-q50 is widened
//     by sqrt((n+p)/(n-p)), the ratio of out-of-sample to in-sample error of
//     least squares with p weights, so the p95 is not optimistic on small
//     training sets.
//   - Cold start: ridge-regularised logistic regression, fitted by Newton's
//     method (IRLS) with step halving on the samples whose cold-start flag the
//     provider reported. With fewer than [MinColdClass] samples of either
//     class the model is the smoothed base rate (k+½)/(n+1); with no labels at
//     all it is the idle-time prior (see [Prior]).
//
// [Fit] trains on the older share of the samples by time and measures the
// model on the newest share (the hold-out), so its [Metrics] are an honest
// out-of-sample measure. A nil or untrained *Model predicts with [Prior].
package predict

import (
	"math"
	"time"
)

// Prediction is what the router uses to rank one deployment.
type Prediction struct {
	// LatencyMs is the predicted median round trip and LatencyP95Ms its 95th
	// percentile (never below LatencyMs). From Prior without a recent
	// latency both are 0: unknown.
	LatencyMs    float64
	LatencyP95Ms float64
	// ColdStartRisk is the probability, in [0, 1], that the call starts cold.
	ColdStartRisk float64
	// Prior is true when no usable model made the prediction and it comes
	// from Prior.
	Prior bool
}

// Model is a trained predictor for one deployment of one function. It is
// plain data, stored as JSON; a decoded model predicts exactly as the
// original. Predict only reads it, so one model may serve concurrent callers.
type Model struct {
	Function   string `json:"function"`
	Deployment string `json:"deployment"`
	// Version is assigned by the store; Fit leaves it 0.
	Version int64 `json:"version"`
	// FeatureVersion is the FeatureVersion the model was trained with.
	FeatureVersion int       `json:"feature_version"`
	TrainedAt      time.Time `json:"trained_at"`
	// Samples is the number of training samples used; Skipped the number of
	// samples (training and hold-out) dropped for a duration that is not
	// positive and finite.
	Samples int `json:"samples"`
	Skipped int `json:"skipped"`
	// TrainFrom and TrainTo bound the training samples' times, HoldoutFrom
	// and HoldoutTo the hold-out's.
	TrainFrom   time.Time `json:"train_from"`
	TrainTo     time.Time `json:"train_to"`
	HoldoutFrom time.Time `json:"holdout_from"`
	HoldoutTo   time.Time `json:"holdout_to"`
	// Metrics are measured on the hold-out: the newest samples, not trained
	// on.
	Metrics Metrics `json:"metrics"`

	Duration  DurationModel `json:"duration"`
	ColdStart ColdModel     `json:"cold_start"`
	// Baseline describes the encoded training features, for Drift.
	Baseline Baseline `json:"baseline"`
}

// DurationModel predicts ln(duration ms) as Weights·x plus a residual
// quantile, x being the encoded features.
type DurationModel struct {
	// Weights apply to the raw encoded features (Vector), intercept first;
	// the standardisation used in fitting is folded in.
	Weights Vector `json:"weights"`
	// ResidualQ50 and ResidualQ95 are the offsets, in ln ms, of the median
	// and the 95th percentile from Weights·x.
	ResidualQ50 float64 `json:"residual_q50"`
	ResidualQ95 float64 `json:"residual_q95"`
	// ResidualSD is the standard deviation of the training residuals (ln ms),
	// for reports.
	ResidualSD float64 `json:"residual_sd"`
}

// Cold-start methods.
const (
	ColdLogistic = "logistic"  // logistic regression on the features
	ColdBaseRate = "base_rate" // too few labels of a class: the smoothed base rate
	ColdPrior    = "prior"     // no labels: the idle-time prior
)

// ColdModel predicts the probability of a cold start as sigmoid(Weights·x).
// The base rate and the prior are weight vectors too (an intercept; an
// intercept and an idle weight), so Predict treats every method alike.
type ColdModel struct {
	Method  string `json:"method"`
	Weights Vector `json:"weights"`
	// Labelled is the number of training samples with a known cold-start
	// flag, Positives the cold ones among them.
	Labelled   int `json:"labelled"`
	Positives  int `json:"positives"`
	Iterations int `json:"iterations"`
}

// Baseline holds the mean and standard deviation of each encoded training
// feature (position FeatIntercept is 1 and 0).
type Baseline struct {
	Mean Vector `json:"mean"`
	SD   Vector `json:"sd"`
}

// Predictions are kept within this range of ln(ms), about 1 µs to 24 million
// ms (6.7 hours), so a wild input never yields 0 or +Inf.
const (
	minLogMs = -7.0
	maxLogMs = 17.0
)

// Predict predicts one call. It allocates nothing, takes well under a
// microsecond and is safe for concurrent use. A nil model, a zero one or one
// trained with another FeatureVersion predicts with Prior.
func (m *Model) Predict(f Features) Prediction {
	if m == nil || m.Samples == 0 || m.FeatureVersion != FeatureVersion {
		return Prior(f)
	}
	x := f.Encode()
	mu := dot(&m.Duration.Weights, &x)
	return Prediction{
		LatencyMs:     math.Exp(clamp(mu+m.Duration.ResidualQ50, minLogMs, maxLogMs, maxLogMs)),
		LatencyP95Ms:  math.Exp(clamp(mu+m.Duration.ResidualQ95, minLogMs, maxLogMs, maxLogMs)),
		ColdStartRisk: sigmoid(dot(&m.ColdStart.Weights, &x)),
	}
}

// Typical returns the idle time and recent latency of the calls the model
// was trained on (the geometric means that their encoded training means
// stand for): what to assume of a deployment a caller has not seen lately,
// rather than an unknown that the model may never have met in training.
// Both are 0 for an untrained model.
func (m *Model) Typical() (idleSeconds, recentLatencyMs float64) {
	if m == nil || m.Samples == 0 {
		return 0, 0
	}
	return math.Expm1(m.Baseline.Mean[FeatLogIdle]), math.Expm1(m.Baseline.Mean[FeatLogRecentLatency])
}

// Prior constants.
const (
	// PriorWarmColdRisk and PriorIdleColdRisk are the prior's cold-start
	// probabilities within KeepAliveSeconds of the previous call and beyond
	// it (or with the idle time unknown).
	PriorWarmColdRisk = 0.05
	PriorIdleColdRisk = 0.9
	// PriorP95Factor is the ratio of p95 to median duration the prior
	// assumes.
	PriorP95Factor = 3.0
)

// Prior is the prediction without a model, so the router can rank
// deployments from their first call: the median is the recent latency (0,
// unknown, when there is none; the router then needs its own default), the
// p95 PriorP95Factor times that, and the cold-start risk PriorWarmColdRisk or
// PriorIdleColdRisk depending on the idle time.
func Prior(f Features) Prediction {
	x := f.Encode()
	w := priorColdWeights()
	p := Prediction{Prior: true, ColdStartRisk: sigmoid(dot(&w, &x))}
	if f.RecentLatencyMs > 0 {
		p.LatencyMs = math.Min(f.RecentLatencyMs, maxLatencyMs)
		p.LatencyP95Ms = PriorP95Factor * p.LatencyMs
	}
	return p
}

// priorColdWeights expresses the prior as logistic weights.
func priorColdWeights() Vector {
	var w Vector
	w[FeatIntercept] = logit(PriorWarmColdRisk)
	w[FeatIdleBeyondKeepAlive] = logit(PriorIdleColdRisk) - logit(PriorWarmColdRisk)
	return w
}

func sigmoid(z float64) float64 {
	if math.IsNaN(z) {
		return 0.5
	}
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }
