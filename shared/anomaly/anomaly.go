// Package anomaly finds hours whose spend is far above what a function's or
// team's history says it should be.
package anomaly

import "time"

// Anomaly is one hour of unusual spend.
type Anomaly struct {
	// Dimension is "function" or "team"; Value the function or team name.
	Dimension string    `json:"dimension"`
	Value     string    `json:"value"`
	Hour      time.Time `json:"hour"`
	CostUSD   float64   `json:"cost_usd"`
	// ExpectedUSD is the baseline for that hour, Score how far above it the
	// hour was in robust standard deviations.
	ExpectedUSD float64   `json:"expected_usd"`
	Score       float64   `json:"score"`
	Reason      string    `json:"reason"`
	DetectedAt  time.Time `json:"detected_at"`
}

// ID is stable per dimension, value and hour, so that detecting the same
// anomaly twice records it once.
func (a Anomaly) ID() string {
	return a.Dimension + "/" + a.Value + "/" + a.Hour.UTC().Format("2006-01-02T15")
}
