package anomaly

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Point is one hour's spend of a series: a function's or a team's.
type Point struct {
	// Hour is the hour's start; it is truncated to the UTC hour.
	Hour    time.Time
	CostUSD float64
}

// Baseline names how an hour's expected spend was formed. Which one applies
// depends on how much history the series has (see Config).
type Baseline string

// Baselines, from the least history to the most.
const (
	// Level is an EWMA of the recent hours: a young series has no seasonal
	// history yet.
	Level Baseline = "level"
	// HourOfDay is the median of the same hour on the previous days (up to
	// a week of them).
	HourOfDay Baseline = "hour-of-day"
	// HourOfWeek is the median of the same hour of the week in the previous
	// weeks (up to Config.Weeks of them).
	HourOfWeek Baseline = "hour-of-week"
)

// Config tunes Detect. A zero field takes its default; DefaultConfig has
// them all.
type Config struct {
	// Threshold is how many robust standard deviations above its expected
	// spend an hour must be to be flagged (default 6.5). Scores are far
	// heavier-tailed than Gaussian noise's: a baseline is the median of a
	// few weeks' values of one hour, so it is sometimes low by chance, and
	// then the score is high twice over, since the scale is relative to the
	// baseline. On generated steady series (the shapes of detect_test.go,
	// 200 seeds each, 2.4 million hours per noise level), 4.5 flagged one
	// hour in 90,000 with 10% hourly noise (a false alarm a month among a
	// hundred functions and teams); 6.5 flagged none with 10% or 15% noise
	// and one hour in 480,000 with 20%. With 10% noise it still flags 90%
	// to 95% of the hours that cost twice their expected spend, and all
	// that cost three times, once a seasonal baseline judges them. Every
	// alert costs a person's attention.
	Threshold float64
	// MinHistory is how much history a series needs before its hours are
	// judged at all (default 24 hours): a new function's first calls are
	// not a spike.
	MinHistory time.Duration
	// DailyAfter is the history from which the baseline is the median of
	// the same hour on previous days (default 3 days: with three days, the
	// median outvotes one odd day). Younger series use the Level baseline.
	DailyAfter time.Duration
	// WeeklyAfter is the history from which the baseline is the median of
	// the same hour of the week in previous weeks (default 3 weeks, for the
	// same reason: the median of two weeks would be their mean, and a spike
	// in either would raise it). Every hour of the Window needs that much
	// history too, so the hour-of-week baseline starts a Window later (at
	// 3 weeks and 3 days with the defaults).
	WeeklyAfter time.Duration
	// Weeks is how many previous weeks the hour-of-week median looks at
	// (default 8). The hour-of-day median looks at up to 7 days.
	Weeks int
	// Window is the span of recent hours whose residuals (spend minus
	// baseline) correct the level of the seasonal baselines (default 72
	// hours: few enough that a lasting rise of the level stops being flagged
	// within about a day and a half, since the median of the residuals
	// moves to the new level once half the window has it). The scale comes
	// from the residuals of a longer span, the Window or the last week,
	// whichever is longer: a week holds every hour of the week once (a
	// 72-hour window after a weekend is mostly weekend), and the more
	// residuals, the steadier the scale.
	Window time.Duration
	// HalfLife is the EWMA's half-life for the Level baseline (default 12
	// hours).
	HalfLife time.Duration
	// MinExcessUSD is how far above its expected spend an hour must be, in
	// dollars, to be flagged (default 0.05: five cents an hour is $36 a
	// month even if it lasted; less is not worth an alert however many
	// deviations it is). It also floors the scale at MinExcessUSD/Threshold,
	// so that a series of fractions of a cent never scores in the thousands.
	MinExcessUSD float64
	// MinIncrease is how much above its expected spend an hour must be,
	// relative to it (default 0.25: 25% more). On a very steady series a few
	// percent can be many deviations; that is not a spike.
	MinIncrease float64
}

// Defaults of Config.
const (
	DefaultThreshold    = 6.5
	DefaultMinHistory   = 24 * time.Hour
	DefaultDailyAfter   = 3 * 24 * time.Hour
	DefaultWeeklyAfter  = 3 * week
	DefaultWeeks        = 8
	DefaultWindow       = 72 * time.Hour
	DefaultHalfLife     = 12 * time.Hour
	DefaultMinExcessUSD = 0.05
	DefaultMinIncrease  = 0.25
)

const (
	day  = 24 * time.Hour
	week = 7 * day

	// daysBack is how many previous days the hour-of-day median uses.
	daysBack = 7
	// levelFloor bounds how small a residual's divisor may be, as a share
	// of the span's mean baseline (see seasonalBaseline).
	levelFloor = 0.25
	// Consistency constants: they make each spread estimate a standard
	// deviation under Gaussian noise.
	madToSigma    = 1.4826 // 1 / Φ⁻¹(3/4)
	meanADToSigma = 1.2533 // √(π/2)
	q90ToSigma    = 1.6449 // Φ⁻¹(0.95): 90% of |N(0,1)| is below it
	q80ToSigma    = 1.2816 // Φ⁻¹(0.9): 80% of |N(0,1)| is below it, and the upper decile of N(0,1) above
	// biweightC is the biweight's tuning constant, in median absolute
	// deviations: the usual 9 (about 6 standard deviations).
	biweightC = 9
	// minScaleResiduals is how many residuals of hours above the floor the
	// scale needs to be taken from them alone: a day's worth.
	minScaleResiduals = 24
)

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Threshold:    DefaultThreshold,
		MinHistory:   DefaultMinHistory,
		DailyAfter:   DefaultDailyAfter,
		WeeklyAfter:  DefaultWeeklyAfter,
		Weeks:        DefaultWeeks,
		Window:       DefaultWindow,
		HalfLife:     DefaultHalfLife,
		MinExcessUSD: DefaultMinExcessUSD,
		MinIncrease:  DefaultMinIncrease,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Threshold <= 0 {
		c.Threshold = d.Threshold
	}
	if c.MinHistory < time.Hour {
		c.MinHistory = d.MinHistory
	}
	if c.DailyAfter <= 0 {
		c.DailyAfter = d.DailyAfter
	}
	if c.WeeklyAfter <= 0 {
		c.WeeklyAfter = d.WeeklyAfter
	}
	if c.Weeks <= 0 {
		c.Weeks = d.Weeks
	}
	if c.Window < time.Hour {
		c.Window = d.Window
	}
	if c.HalfLife <= 0 {
		c.HalfLife = d.HalfLife
	}
	if c.MinExcessUSD <= 0 {
		c.MinExcessUSD = d.MinExcessUSD
	}
	if c.MinIncrease <= 0 {
		c.MinIncrease = d.MinIncrease
	}
	return c
}

// History is how far before the first hour it judges Detect looks: the
// hour-of-week baseline of the oldest residual of the scale's span reaches
// back Weeks weeks and one hour. Reading less history only makes the
// baselines younger; reading this much makes a verdict independent of how
// much more there is.
func (c Config) History() time.Duration {
	c = c.withDefaults()
	return time.Duration(c.Weeks)*week + c.span() + time.Hour
}

// span is how many recent hours' residuals set the scale: the Window or a
// week, whichever is longer, in whole hours.
func (c Config) span() time.Duration { return max(c.Window, week).Truncate(time.Hour) }

// Verdict is the judgement of one hour.
type Verdict struct {
	Hour        time.Time
	CostUSD     float64
	ExpectedUSD float64
	// ScaleUSD is the robust standard deviation of the hour's spend, Score
	// (CostUSD - ExpectedUSD) / ScaleUSD.
	ScaleUSD  float64
	Score     float64
	Baseline  Baseline
	Anomalous bool
}

// Anomaly is the anomaly a flagged verdict reports.
func (v Verdict) Anomaly(dimension, value string, detectedAt time.Time) Anomaly {
	return Anomaly{
		Dimension:   dimension,
		Value:       value,
		Hour:        v.Hour,
		CostUSD:     v.CostUSD,
		ExpectedUSD: v.ExpectedUSD,
		Score:       v.Score,
		Reason:      v.reason(),
		DetectedAt:  detectedAt.UTC(),
	}
}

func (v Verdict) reason() string {
	from := map[Baseline]string{
		Level:      "the recent level",
		HourOfDay:  "the same hour on previous days",
		HourOfWeek: "the same hour of the week in previous weeks",
	}[v.Baseline]
	times := ""
	if v.ExpectedUSD > 0 {
		times = fmt.Sprintf("%.1fx ", v.CostUSD/v.ExpectedUSD)
	}
	return fmt.Sprintf("spent $%.4g in the hour, %sthe $%.4g expected from %s (%.1f robust standard deviations above)",
		v.CostUSD, times, v.ExpectedUSD, from, v.Score)
}

// Detect judges the hours of [from, to) of a series (both truncated to the
// UTC hour, so that with to = now the current, incomplete hour is left out).
// points are the series' hourly spend, in any order: hours without a point
// between the first point and to spent nothing, points in the same hour add
// up, points at or after to are ignored, and so are points more than
// c.History() before from. The series starts at its first point: there is
// no history before it, so a series younger than c.MinHistory at an hour
// gets no verdict for it. Every other hour of [from, to) gets one, oldest
// first.
//
// An hour is judged against history only (the hours before it), so a
// verdict never changes when later hours arrive, and is flagged when all of:
//
//   - its spend is more than Threshold robust standard deviations above the
//     expected spend (Score > Threshold);
//   - it is at least MinExcessUSD above it;
//   - it is at least MinIncrease (relative) above it.
//
// The expected spend and the scale depend on the history's length:
//
//   - Level (MinHistory to DailyAfter): an EWMA of the hours so far, each
//     hour clipped at its own flagging threshold before it enters, so that
//     a spike does not lift the level; the scale is the larger of the median
//     absolute deviation and the 90th percentile of absolute deviations
//     from the level over the Window (each made a standard deviation), since
//     without a seasonal model the daily swing is part of the noise.
//   - HourOfDay (from DailyAfter) and HourOfWeek (from WeeklyAfter and a
//     Window, see Config.WeeklyAfter): the median of the same hour in
//     previous days (weeks) (or of it and the hours either side, if that is
//     larger: see seasonalMedian), corrected by the median residual over
//     the Window, which absorbs a rising trend or level. Residuals are
//     taken relative to their baseline (floored at a quarter of the span's
//     mean), because spend varies with its level: a busy hour's dollars
//     swing more than a quiet one's. The scale is a robust standard
//     deviation of the residuals of the last week (see robustScale).
//
// The level correction never lowers the expected spend below the seasonal
// median: a quiet spell (a weekend, when the baseline is still the same
// hour on previous days; a holiday) must not make ordinary spend look like a
// spike when it ends. A lasting fall of spend is followed by the medians
// themselves, once it has lasted half the days (weeks) they look at.
//
// Medians make the baselines robust: a spike (or several hours of one) is
// outvoted in the medians of later hours, and the scale gives it no weight,
// so it cannot hide a second spike.
func Detect(points []Point, from, to time.Time, c Config) []Verdict {
	c = c.withDefaults()
	from, to = from.UTC().Truncate(time.Hour), to.UTC().Truncate(time.Hour)
	if !from.Before(to) {
		return nil
	}
	s := newSeries(points, from.Add(-c.History()), to, c)
	if s == nil {
		return nil
	}
	first := max(hoursBetween(s.start, from), 0)
	out := make([]Verdict, 0, len(s.x)-first)
	for t := first; t < len(s.x); t++ {
		if t < s.minHistory {
			continue
		}
		out = append(out, s.judge(t))
	}
	return out
}

func hoursBetween(a, b time.Time) int { return int(b.Sub(a) / time.Hour) }

// series is one series filled with zeros, hour by hour from its start, and
// the caches of its baselines.
type series struct {
	c     Config
	start time.Time
	x     []float64

	minHistory, dailyAfter, weeklyAfter, window, span int
	alpha                                             float64

	// seasonal[p] caches the baseline of each hour from its k previous
	// periods (p: 0 days, 1 weeks; see seasonalMedian).
	seasonal [2]struct {
		vals []float64
		k    []int // 0: not computed
	}
	// level[t] is the EWMA before hour t, for the Level hours.
	level []float64

	lags, base, resid, picked, dev []float64
}

func newSeries(points []Point, floor, to time.Time, c Config) *series {
	start, found, older := to, false, false
	for _, p := range points {
		h := p.Hour.UTC().Truncate(time.Hour)
		switch {
		case !h.Before(to) || math.IsNaN(p.CostUSD) || math.IsInf(p.CostUSD, 0):
		case h.Before(floor):
			older = true
		case h.Before(start):
			start, found = h, true
		default:
			found = true
		}
	}
	if older {
		// The series is older than what is read: it starts at the floor,
		// and the hours up to its first point spent nothing.
		start, found = floor, true
	}
	if !found {
		return nil
	}
	s := &series{
		c:           c,
		start:       start,
		x:           make([]float64, hoursBetween(start, to)),
		minHistory:  int(c.MinHistory / time.Hour),
		dailyAfter:  int(c.DailyAfter / time.Hour),
		weeklyAfter: int(c.WeeklyAfter / time.Hour),
		window:      int(c.Window / time.Hour),
		span:        int(c.span() / time.Hour),
		alpha:       1 - math.Exp2(-1/c.HalfLife.Hours()),
	}
	for _, p := range points {
		h := p.Hour.UTC().Truncate(time.Hour)
		if h.Before(start) || !h.Before(to) || math.IsNaN(p.CostUSD) || math.IsInf(p.CostUSD, 0) {
			continue
		}
		s.x[hoursBetween(start, h)] += p.CostUSD
	}
	return s
}

// judge is the verdict of hour t (t >= minHistory).
func (s *series) judge(t int) Verdict {
	var (
		b               Baseline
		expected, scale float64
	)
	switch {
	case t-s.window >= max(s.weeklyAfter, 2*168):
		b = HourOfWeek
		expected, scale = s.seasonalBaseline(t, 1)
	case t >= s.dailyAfter && t >= 2*24:
		b = HourOfDay
		expected, scale = s.seasonalBaseline(t, 0)
	default:
		b = Level
		expected, scale = s.levelBaseline(t)
	}
	v := Verdict{
		Hour:        s.start.Add(time.Duration(t) * time.Hour),
		CostUSD:     s.x[t],
		ExpectedUSD: expected,
		ScaleUSD:    scale,
		Score:       (s.x[t] - expected) / scale,
		Baseline:    b,
	}
	v.Anomalous = s.flagged(v.CostUSD, expected, scale)
	return v
}

func (s *series) flagged(cost, expected, scale float64) bool {
	excess := cost - expected
	return excess > s.c.Threshold*scale &&
		excess >= s.c.MinExcessUSD &&
		cost >= expected*(1+s.c.MinIncrease)
}

// floorScale keeps a scale from being so small that cents score thousands.
func (s *series) floorScale(scale float64) float64 {
	return max(scale, s.c.MinExcessUSD/s.c.Threshold)
}

// seasonalMedian is the baseline of hour j from its k previous periods (p
// 0: days, 1: weeks); j must have k periods before it. It is the larger of
// two medians: of the hour itself in those periods, and of the hour with
// the hours either side of it in them. The second holds three times as many
// values, so it is far less often low by chance (a low baseline is what
// makes a false alarm: residuals are relative to it, so it lowers the scale
// too); taking the larger keeps a one-hour peak, such as a nightly job, its
// own baseline, which its quieter neighbours would outvote.
func (s *series) seasonalMedian(j, p, k int) float64 {
	cache := &s.seasonal[p]
	if cache.vals == nil {
		cache.vals = make([]float64, len(s.x))
		cache.k = make([]int, len(s.x))
	}
	if cache.k[j] == k {
		return cache.vals[j]
	}
	period := periods[p]
	s.lags = s.lags[:0]
	for i := 1; i <= k; i++ {
		s.lags = append(s.lags, s.x[j-i*period])
	}
	own := median(s.lags)
	s.lags = s.lags[:0]
	for i := 1; i <= k; i++ {
		for n := max(j-i*period-1, 0); n <= j-i*period+1; n++ {
			s.lags = append(s.lags, s.x[n])
		}
	}
	cache.vals[j], cache.k[j] = max(own, median(s.lags)), k
	return cache.vals[j]
}

// periods are the seasonal periods in hours: a day and a week.
var periods = [2]int{24, 168}

// seasonalBaseline is the expected spend and scale of hour t from the
// medians of its hour in previous periods (p 0: days, 1: weeks; see
// Detect).
//
// How many periods each hour's median takes: with a trend, the median of k
// periods lags (k+1)/2 periods behind, and hours of the window whose medians
// lag differently disagree on the level correction. Half a week of a trend
// matters, so for weeks every hour of the window takes as many weeks as its
// oldest hour has (the older hours of the span, which only set the scale,
// take as many as they have, up to that). Half a day does not, and taking
// fewer days would hurt more: the median of a working Monday's previous
// four days is half weekend, while that of its previous seven is not. So
// for days each hour takes as many as it has, up to a week.
func (s *series) seasonalBaseline(t, p int) (expected, scale float64) {
	period := periods[p]
	lo, win := max(t-s.span, period), max(t-s.window, period)
	lags := func(j int) int { return min(daysBack, j/period) }
	if p == 1 {
		k := min(s.c.Weeks, win/period)
		lags = func(j int) int { return min(k, j/period) }
	}
	s.base = s.base[:0]
	sum := 0.0
	for j := lo; j < t; j++ {
		b := s.seasonalMedian(j, p, lags(j))
		s.base = append(s.base, b)
		sum += b
	}
	here := s.seasonalMedian(t, p, lags(t))
	floor := max(levelFloor*(sum+here)/float64(len(s.base)+1), 1e-12)

	s.resid = s.resid[:0]
	for i, b := range s.base {
		s.resid = append(s.resid, (s.x[lo+i]-b)/max(b, floor))
	}
	// The level correction: the median residual of the window, never below
	// zero (see Detect).
	center := max(median(s.unfloored(win-lo, floor, 1)), 0)
	sigma := s.robustScale(s.unfloored(0, floor, minScaleResiduals))
	div := max(here, floor)
	return here + center*div, s.floorScale(sigma * div)
}

// unfloored returns the residuals from the from-th on whose baselines are
// at least floor, unless those are fewer than least: the residuals of hours
// below the floor are shrunk by it (a weekend's hours, when the week days
// are busy), and would make the level correction and the scale of the
// other hours too small.
func (s *series) unfloored(from int, floor float64, least int) []float64 {
	kept := 0
	for _, b := range s.base[from:] {
		if b >= floor {
			kept++
		}
	}
	all := kept < least
	s.picked = s.picked[:0]
	for i := from; i < len(s.base); i++ {
		if all || s.base[i] >= floor {
			s.picked = append(s.picked, s.resid[i])
		}
	}
	return s.picked
}

// robustScale is how far above their median xs spread, as a standard
// deviation: the larger of the one Tukey's biweight midvariance estimates
// from the upper half of xs mirrored about the median, and the one the
// upper decile's distance from the median implies.
//
// Only rises are judged, and the residuals below the median include quiet
// spells (a weekend, while the baseline is the same hour on previous days;
// an outage) that say nothing about how far spend rises by chance. The
// biweight is efficient (near 87% under Gaussian noise, where the median
// absolute deviation's is 37%) and gives no weight to values beyond 9
// median absolute deviations, such as spikes. The upper decile guards the
// right tail: a residual divides by a baseline that is itself noisy, which
// skews the residuals to the right. When more than half of xs are equal (a
// series of mostly zeros) the median absolute deviation is zero and the
// mean absolute deviation takes the biweight's place. It reorders xs.
func (s *series) robustScale(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := sortedQuantile(xs, 0.5)
	upper := (sortedQuantile(xs, 0.9) - m) / q80ToSigma
	for i, n := 0, len(xs); i < n/2; i++ {
		xs[i] = 2*m - xs[n-1-i] // the lower half, mirrored from the upper
	}
	s.dev = s.dev[:0]
	sum := 0.0
	for _, x := range xs {
		d := math.Abs(x - m)
		s.dev = append(s.dev, d)
		sum += d
	}
	mad := median(s.dev)
	if mad == 0 {
		return max(meanADToSigma*sum/float64(len(xs)), upper)
	}
	var num, den float64
	for _, x := range xs {
		u := (x - m) / (biweightC * mad)
		if u <= -1 || u >= 1 {
			continue
		}
		w := 1 - u*u
		num += (x - m) * (x - m) * w * w * w * w
		den += w * (1 - 5*u*u)
	}
	if den <= 0 {
		return max(madToSigma*mad, upper)
	}
	return max(math.Sqrt(float64(len(xs))*num)/math.Abs(den), upper)
}

// levelBaseline is the expected spend and scale of hour t from the EWMA
// level.
func (s *series) levelBaseline(t int) (expected, scale float64) {
	if s.level == nil {
		// The median of the first hours starts the level at hour minHistory.
		m := s.minHistory
		s.lags = append(s.lags[:0], s.x[:m]...)
		s.level = make([]float64, m+1, max(s.dailyAfter, m)+1)
		s.level[m] = median(s.lags)
	}
	// Then each hour enters the EWMA clipped at its flagging threshold, so
	// that a spike does not lift the level.
	for len(s.level) <= t {
		j := len(s.level) - 1
		l := s.level[j]
		clipped := min(s.x[j], l+s.c.Threshold*s.levelScale(j, l))
		s.level = append(s.level, l+s.alpha*(clipped-l))
	}
	l := s.level[t]
	return l, s.levelScale(t, l)
}

// levelScale is the scale of hour t around level l: the larger of the
// median absolute deviation and the 90th percentile of the absolute
// deviations from l of the window's hours, each made a standard deviation.
func (s *series) levelScale(t int, l float64) float64 {
	s.dev = s.dev[:0]
	sum := 0.0
	for j := max(t-s.window, 0); j < t; j++ {
		d := math.Abs(s.x[j] - l)
		s.dev = append(s.dev, d)
		sum += d
	}
	if len(s.dev) == 0 {
		return s.floorScale(0)
	}
	slices.Sort(s.dev)
	sigma := max(madToSigma*sortedQuantile(s.dev, 0.5), sortedQuantile(s.dev, 0.9)/q90ToSigma)
	if sigma == 0 {
		sigma = meanADToSigma * sum / float64(len(s.dev))
	}
	return s.floorScale(sigma)
}

// median sorts xs and returns its median (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return sortedQuantile(xs, 0.5)
}

// sortedQuantile interpolates the q-quantile of sorted xs.
func sortedQuantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	frac := pos - float64(i)
	return xs[i] + frac*(xs[i+1]-xs[i])
}
