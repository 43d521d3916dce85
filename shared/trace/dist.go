package trace

import "fmt"

// Tail says how Durations.Distribution treats the segment between the 99th
// and the 100th percentile.
type Tail uint8

const (
	// TailMatchMean (the default) lowers the 100th percentile point, when
	// needed, until the distribution's mean equals the row's Average. The
	// 2019 percentiles are of 30-second averages, so the 100th is the worst
	// half-minute, not a typical member of the top percent: drawn linearly
	// from the 99th to it, that percent alone can carry several times the
	// Average (a function averaging 79 ms with a 99.8-second maximum would
	// average 580 ms). Lowering the top point keeps the shape of the other
	// 99% and the Average the trace reports; it never raises it.
	TailMatchMean Tail = iota
	// TailLinear is the plain piecewise-linear distribution through the
	// percentile points.
	TailLinear
)

// ParseTail parses "match-mean" or "linear".
func ParseTail(s string) (Tail, error) {
	switch s {
	case "match-mean", "":
		return TailMatchMean, nil
	case "linear":
		return TailLinear, nil
	}
	return 0, fmt.Errorf("duration tail %q is not match-mean or linear", s)
}

func (t Tail) String() string {
	if t == TailLinear {
		return "linear"
	}
	return "match-mean"
}

// Distribution is a piecewise-linear quantile function: Quantile(u) is
// linear between the points (U[i], X[i]), U ascending from 0 to 1 and X
// non-decreasing.
type Distribution struct {
	U, X []float64
}

// Distribution returns the execution-time distribution through d's
// percentiles (ms), with the tail treatment t.
func (d Durations) Distribution(t Tail) Distribution {
	ranks := DurationRanks()
	dist := Distribution{U: make([]float64, len(ranks)), X: make([]float64, len(ranks))}
	for i, r := range ranks {
		dist.U[i] = r / 100
		dist.X[i] = d.Percentiles[i]
	}
	if t == TailMatchMean && d.Average > 0 {
		dist.matchMean(d.Average)
	}
	return dist
}

// matchMean lowers the last point so that the mean is avg, if it is above.
func (d *Distribution) matchMean(avg float64) {
	n := len(d.X)
	if n < 2 || d.Mean() <= avg {
		return
	}
	w := d.U[n-1] - d.U[n-2]
	if w <= 0 {
		return
	}
	body := d.Mean() - w*(d.X[n-2]+d.X[n-1])/2
	x := 2*(avg-body)/w - d.X[n-2]
	d.X[n-1] = max(x, d.X[n-2])
}

// Quantile returns the value at probability u in [0, 1] (clamped).
func (d Distribution) Quantile(u float64) float64 {
	n := len(d.U)
	switch {
	case n == 0:
		return 0
	case u <= d.U[0]:
		return d.X[0]
	case u >= d.U[n-1]:
		return d.X[n-1]
	}
	i := 1
	for d.U[i] < u {
		i++
	}
	w := d.U[i] - d.U[i-1]
	if w <= 0 {
		return d.X[i]
	}
	return d.X[i-1] + (d.X[i]-d.X[i-1])*(u-d.U[i-1])/w
}

// Mean is the distribution's mean.
func (d Distribution) Mean() float64 {
	var m float64
	for i := 1; i < len(d.U); i++ {
		m += (d.U[i] - d.U[i-1]) * (d.X[i] + d.X[i-1]) / 2
	}
	return m
}

// BinMean is the mean of the values between probabilities a < b: the
// integral of Quantile over [a, b] divided by b - a. Splitting [0, 1] into K
// equal bins and taking each bin's mean gives K equally likely points whose
// mean is exactly the distribution's.
func (d Distribution) BinMean(a, b float64) float64 {
	if b <= a {
		return d.Quantile(a)
	}
	var area float64
	for i := 1; i < len(d.U); i++ {
		lo, hi := max(a, d.U[i-1]), min(b, d.U[i])
		if hi <= lo {
			continue
		}
		area += (hi - lo) * (d.Quantile(lo) + d.Quantile(hi)) / 2
	}
	return area / (b - a)
}
