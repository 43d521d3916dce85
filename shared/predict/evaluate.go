package predict

import "math"

// PrimaryMetric names the score Challenge compares: Metrics.RMSELog, lower
// is better.
const PrimaryMetric = "rmse_log"

// Metrics measure a model on a set of calls. Every field is finite, so
// Metrics always marshal to JSON; a metric over no calls is 0, and N and
// ColdN say how many calls each group of metrics covers.
type Metrics struct {
	// N is the number of calls with a usable duration.
	N int `json:"n"`
	// MAPE is the mean of |predicted median - actual| / actual.
	MAPE float64 `json:"mape"`
	// MAE is the mean of |predicted median - actual|, in ms.
	MAE float64 `json:"mae_ms"`
	// RMSELog is the root mean square of ln(predicted median / actual), the
	// primary score (see Score): scale-free, symmetric in over- and
	// under-prediction and not dominated by a few very slow calls, unlike
	// MAPE and MAE. 0.1 is roughly a typical error of 10%.
	RMSELog float64 `json:"rmse_log"`
	// P95Coverage is the share of calls at or under the predicted p95; near
	// 0.95 when the p95 is calibrated.
	P95Coverage float64 `json:"p95_coverage"`
	// ColdN is the number of calls whose cold-start flag is known; the
	// cold-start metrics are over them, and 0 when ColdN is 0.
	ColdN int `json:"cold_n"`
	// ColdLogLoss is the mean negative log-likelihood of the cold-start
	// flags (probabilities kept within [1e-15, 1-1e-15]); ColdBrier the mean
	// squared error of the cold-start probability.
	ColdLogLoss float64 `json:"cold_log_loss"`
	ColdBrier   float64 `json:"cold_brier"`
}

// Score is the primary metric, RMSELog: lower is better.
func (m Metrics) Score() float64 { return m.RMSELog }

// Evaluate measures m on samples (a nil model is measured as Prior). Samples
// without a positive, finite duration are skipped. Durations and predictions
// are taken within the range Predict can return, so every metric is finite.
func Evaluate(m *Model, samples []Sample) Metrics {
	return evaluate(m, view{s: samples})
}

func evaluate(m *Model, v view) Metrics {
	var (
		out            Metrics
		ape, ae, sqLog float64
		covered        int
		logLoss, brier float64
		minMs, maxMs           = math.Exp(minLogMs), math.Exp(maxLogMs)
		pLo, pHi       float64 = 1e-15, 1 - 1e-15
	)
	for i := range v.len() {
		s := v.at(i)
		if !s.usable() {
			continue
		}
		p := m.Predict(s.Features)
		actual := clamp(s.DurationMs, minMs, maxMs, maxMs)
		pred := clamp(p.LatencyMs, minMs, maxMs, maxMs)
		out.N++
		ae += math.Abs(pred - actual)
		ape += math.Abs(pred-actual) / actual
		d := math.Log(pred / actual)
		sqLog += d * d
		if actual <= p.LatencyP95Ms {
			covered++
		}
		if s.ColdKnown {
			out.ColdN++
			q := clamp(p.ColdStartRisk, pLo, pHi, 0.5)
			y := 0.0
			if s.ColdStart {
				y = 1
			}
			logLoss -= y*math.Log(q) + (1-y)*math.Log1p(-q)
			brier += (q - y) * (q - y)
		}
	}
	if out.N > 0 {
		n := float64(out.N)
		out.MAPE, out.MAE = ape/n, ae/n
		out.RMSELog = math.Sqrt(sqLog / n)
		out.P95Coverage = float64(covered) / n
	}
	if out.ColdN > 0 {
		n := float64(out.ColdN)
		out.ColdLogLoss, out.ColdBrier = logLoss/n, brier/n
	}
	return out
}
