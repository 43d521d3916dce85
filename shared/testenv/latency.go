package testenv

import (
	"slices"
	"testing"
	"time"
)

// Latencies collects per-operation durations in a benchmark so it can report
// percentiles, not just the mean that testing.B prints.
type Latencies struct{ d []time.Duration }

// NewLatencies keeps up to n samples, preallocated so recording does not
// allocate; samples past n are dropped.
func NewLatencies(n int) *Latencies { return &Latencies{d: make([]time.Duration, 0, n)} }

// Add records one sample.
func (l *Latencies) Add(d time.Duration) {
	if len(l.d) < cap(l.d) {
		l.d = append(l.d, d)
	}
}

// Quantile returns the q-quantile (0..1) of the samples, nearest rank.
func (l *Latencies) Quantile(q float64) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	i := int(q*float64(len(s)) + 0.5)
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// Report adds p50, p99 and max in microseconds to the benchmark's output.
func (l *Latencies) Report(b *testing.B) {
	b.ReportMetric(float64(l.Quantile(0.50).Nanoseconds())/1000, "p50-µs")
	b.ReportMetric(float64(l.Quantile(0.99).Nanoseconds())/1000, "p99-µs")
	b.ReportMetric(float64(l.Quantile(1).Nanoseconds())/1000, "max-µs")
}
