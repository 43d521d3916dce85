package simulate

import "math"

// Histogram bounds: each power of two from 2^histMinExp ms (about 1 µs) to
// 2^histMaxExp ms (about 37 hours) is split into histSub equal buckets.
const (
	histMinExp = -10
	histMaxExp = 27
	histSub    = 64
	histN      = (histMaxExp - histMinExp) * histSub
)

// Histogram is a streaming latency histogram with log-linear buckets: every
// octave [2^e, 2^(e+1)) ms is split into 64 equal buckets, so a bucket is at
// most 1/64 of its lower bound wide and a quantile, reported as its bucket's
// midpoint, is within 1/128 (0.8%) of the true value. Latencies below about
// 1 µs count as 0; above 2^27 ms (37 hours) they count in the last bucket.
// Counts are integer weights (the replay counts 1/K of a call when it
// spreads a batch over K duration strata), so merging is exact and
// order-independent. 19 KB; the zero value is empty.
type Histogram struct {
	counts [histN]uint64
	zero   uint64
	total  uint64
}

// bucket returns v's bucket, or -1 for a value counted as 0.
func bucket(v float64) int {
	if !(v >= math.Ldexp(1, histMinExp)) { // also NaN
		return -1
	}
	frac, exp := math.Frexp(v) // v = frac * 2^exp, frac in [0.5, 1)
	o := exp - 1 - histMinExp
	if o >= histMaxExp-histMinExp {
		return histN - 1
	}
	return o*histSub + int((frac-0.5)*2*histSub)
}

// Add counts v (ms) with weight w.
func (h *Histogram) Add(v float64, w uint64) {
	h.addBucket(bucket(v), w)
}

func (h *Histogram) addBucket(b int, w uint64) {
	if b < 0 {
		h.zero += w
	} else {
		h.counts[b] += w
	}
	h.total += w
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.zero += o.zero
	h.total += o.total
}

// Total is the sum of the weights.
func (h *Histogram) Total() uint64 { return h.total }

// Quantile returns the value at q in [0, 1]: the midpoint of the bucket
// holding the ceil(q*total)-th unit of weight. 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) float64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = max(rank, 1)
	seen := h.zero
	if seen >= rank {
		return 0
	}
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return bucketMid(i)
		}
	}
	return bucketMid(histN - 1)
}

func bucketMid(i int) float64 {
	o, s := i/histSub, i%histSub
	lo := math.Ldexp(1, o+histMinExp)
	return lo * (1 + (float64(s)+0.5)/histSub)
}

// bucketWeight is a bucket and a multiplicity: the warm latencies of a
// deployment's strata, grouped by bucket.
type bucketWeight struct {
	b int
	n uint64
}

// groupBuckets returns the buckets of vs with their multiplicities.
func groupBuckets(vs []float64) []bucketWeight {
	var out []bucketWeight
	idx := map[int]int{}
	for _, v := range vs {
		b := bucket(v)
		if i, ok := idx[b]; ok {
			out[i].n++
			continue
		}
		idx[b] = len(out)
		out = append(out, bucketWeight{b: b, n: 1})
	}
	return out
}
