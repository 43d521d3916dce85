package anomaly_test

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/fiso-dev/fiso/shared/anomaly"
)

// monday is where generated series start: a Monday, so that a series'
// first days are working days (see "a series that starts on a weekend" in
// the detect tests).
var monday = time.Date(2031, time.January, 6, 0, 0, 0, 0, time.UTC)

// shape is a series' expected spend at hour h after monday.
type shape func(h int) float64

func flat(level float64) shape { return func(int) float64 { return level } }

// daily peaks at 14:00 UTC at top, with night at base.
func daily(base, top float64) shape {
	return func(h int) float64 {
		x := math.Sin(math.Pi * float64(h%24-8) / 12)
		return base + (top-base)*max(x, 0)
	}
}

// businessWeek spends busy during working hours (09-18 UTC), quiet
// otherwise and a fraction of quiet at weekends.
func businessWeek(busy, quiet, weekend float64) shape {
	return func(h int) float64 {
		wd, hr := (h/24)%7, h%24
		switch {
		case wd >= 5:
			return quiet * weekend
		case hr >= 9 && hr < 18:
			return busy
		}
		return quiet
	}
}

// growing multiplies a shape by a linear trend: by factor over weeks.
func growing(s shape, factor float64, weeks int) shape {
	return func(h int) float64 { return s(h) * (1 + (factor-1)*float64(h)/float64(weeks*168)) }
}

// scaled multiplies a shape.
func scaled(s shape, k float64) shape { return func(h int) float64 { return s(h) * k } }

// generate is hours hours of s with multiplicative Gaussian noise of
// relative standard deviation noise, from a seeded source.
func generate(s shape, hours int, noise float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, hours)
	for h := range out {
		out[h] = max(s(h)*(1+noise*rng.NormFloat64()), 0)
	}
	return out
}

func points(xs []float64) []anomaly.Point {
	out := make([]anomaly.Point, 0, len(xs))
	for h, x := range xs {
		out = append(out, anomaly.Point{Hour: monday.Add(time.Duration(h) * time.Hour), CostUSD: x})
	}
	return out
}

// flaggedHours runs Detect over every hour of xs and returns the hours
// (after monday) it flagged.
func flaggedHours(xs []float64, c anomaly.Config) []int {
	var out []int
	for _, v := range anomaly.Detect(points(xs), monday, monday.Add(time.Duration(len(xs))*time.Hour), c) {
		if v.Anomalous {
			out = append(out, int(v.Hour.Sub(monday)/time.Hour))
		}
	}
	return out
}
