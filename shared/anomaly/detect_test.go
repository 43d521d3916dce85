package anomaly_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/anomaly"
)

// noise is the relative standard deviation of the generated series' hourly
// spend, unless a test says otherwise: a function of a few hundred calls an
// hour.
const noise = 0.1

func at(h int) time.Time { return monday.Add(time.Duration(h) * time.Hour) }

// judge is the verdict of hour h of xs, with the data up to h only.
func judge(t *testing.T, xs []float64, h int, c anomaly.Config) anomaly.Verdict {
	t.Helper()
	vs := anomaly.Detect(points(xs[:h+1]), at(h), at(h+1), c)
	if len(vs) != 1 {
		t.Fatalf("Detect of hour %d: got %d verdicts, want 1", h, len(vs))
	}
	return vs[0]
}

// spike multiplies hour Hour of a shape by Factor; Want is the baseline
// that judges it, given the history before it.
type spike struct {
	Hour   int
	Factor float64
	Want   anomaly.Baseline
}

func inject(xs []float64, s shape, spikes []spike) {
	for _, sp := range spikes {
		xs[sp.Hour] = s(sp.Hour) * sp.Factor
	}
}

// day and hour of the week after monday, for readable hours.
func hourOf(week, day, hour int) int { return week*168 + day*24 + hour }

func TestDetectFlagsKnownSpikes(t *testing.T) {
	biz := businessWeek(3, 0.5, 0.2)
	for _, tc := range []struct {
		name   string
		shape  shape
		spikes []spike
	}{
		{"flat", flat(1), []spike{
			{hourOf(0, 1, 16), 4, anomaly.Level},
			{hourOf(1, 3, 11), 3, anomaly.HourOfDay},
			{hourOf(6, 3, 15), 3, anomaly.HourOfWeek},
		}},
		{"daily cycle", daily(0.2, 2), []spike{
			{hourOf(0, 1, 14), 4, anomaly.Level},
			{hourOf(1, 2, 14), 3, anomaly.HourOfDay},
			// A quiet night hour, against the night's own baseline.
			{hourOf(6, 2, 3), 3, anomaly.HourOfWeek},
		}},
		{"business week", biz, []spike{
			{hourOf(0, 1, 11), 4, anomaly.Level},
			{hourOf(1, 2, 11), 3, anomaly.HourOfDay},
			// A Saturday that spends like a working day: only the
			// hour-of-week baseline knows Saturdays are quiet.
			{hourOf(6, 5, 11), 30, anomaly.HourOfWeek},
			{hourOf(7, 1, 14), 3, anomaly.HourOfWeek},
		}},
		{"growing trend", growing(biz, 2, 8), []spike{
			{hourOf(0, 1, 10), 4, anomaly.Level},
			{hourOf(2, 1, 10), 3, anomaly.HourOfDay},
			{hourOf(7, 3, 10), 2.5, anomaly.HourOfWeek},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			xs := generate(tc.shape, 8*168, noise, 7)
			inject(xs, tc.shape, tc.spikes)
			var want []int
			for _, sp := range tc.spikes {
				want = append(want, sp.Hour)
			}
			if d := cmp.Diff(want, flaggedHours(xs, anomaly.Config{})); d != "" {
				t.Errorf("flagged hours (-want +got):\n%s", d)
			}
			for _, sp := range tc.spikes {
				v := judge(t, xs, sp.Hour, anomaly.Config{})
				if !v.Anomalous || v.Score <= anomaly.DefaultThreshold || v.Baseline != sp.Want || !v.Hour.Equal(at(sp.Hour)) {
					t.Errorf("hour %d: got %+v, want flagged at %s with score above %g by the %s baseline",
						sp.Hour, v, at(sp.Hour).Format(time.RFC3339), anomaly.DefaultThreshold, sp.Want)
				}
			}
		})
	}
}

func TestDetectBaselineByHistory(t *testing.T) {
	xs := generate(flat(1), 5*168, noise, 1)
	for _, tc := range []struct {
		hour int
		want anomaly.Baseline
	}{
		{24, anomaly.Level},
		{71, anomaly.Level},
		{72, anomaly.HourOfDay},
		// Hour of week from three weeks on, for every hour of the window.
		{3*168 + 71, anomaly.HourOfDay},
		{3*168 + 72, anomaly.HourOfWeek},
		{5*168 - 1, anomaly.HourOfWeek},
	} {
		if got := judge(t, xs, tc.hour, anomaly.Config{}).Baseline; got != tc.want {
			t.Errorf("hour %d: baseline %s, want %s", tc.hour, got, tc.want)
		}
	}
}

// TestDetectNoFalseAlarms measures the false alarms on steady patterns:
// every hour of many seeded series of each shape, none of which has a spike.
func TestDetectNoFalseAlarms(t *testing.T) {
	if testing.Short() {
		t.Skip("judges about a million hours")
	}
	const (
		seeds = 50
		weeks = 9
	)
	biz := businessWeek(3, 0.5, 0.2)
	for _, tc := range []struct {
		name  string
		shape shape
	}{
		{"flat", flat(1)},
		{"daily cycle", daily(0.2, 2)},
		{"business week", biz},
		{"business week, cents", scaled(biz, 0.01)},
		{"business week, slow growth", growing(biz, 1.5, weeks)},
		{"business week, doubling", growing(biz, 2, weeks)},
		{"business week, halving", growing(biz, 0.5, weeks)},
		{"daily cycle, tripling", growing(daily(0.2, 2), 3, weeks)},
	} {
		for _, level := range []float64{0.1, 0.15} {
			t.Run(fmt.Sprintf("%s, noise %.0f%%", tc.name, 100*level), func(t *testing.T) {
				t.Parallel()
				var judged, flagged int
				top := anomaly.Verdict{Score: math.Inf(-1)}
				for seed := range uint64(seeds) {
					xs := generate(tc.shape, weeks*168, level, seed)
					for _, v := range anomaly.Detect(points(xs), monday, at(len(xs)), anomaly.Config{}) {
						judged++
						if v.Anomalous {
							flagged++
							t.Errorf("seed %d: flagged %s: %+v", seed, v.Hour.Format(time.RFC3339), v)
						}
						if v.Score > top.Score {
							top = v
						}
					}
				}
				t.Logf("%d hours of %d series judged, %d flagged; top score %.2f (%s, %s)",
					judged, seeds, flagged, top.Score, top.Baseline, top.Hour.Format(time.RFC3339))
			})
		}
	}
}

func TestDetectYoungSeries(t *testing.T) {
	xs := generate(flat(1), 48, noise, 3)
	xs[10] = 50 // a new function's first calls are no spike
	for _, tc := range []struct {
		name  string
		hours int
		c     anomaly.Config
		want  []int
	}{
		{"younger than a day", 24, anomaly.Config{}, nil},
		{"a day old", 25, anomaly.Config{}, []int{24}},
		{"MinHistory two days", 48, anomaly.Config{MinHistory: 47 * time.Hour}, []int{47}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, v := range anomaly.Detect(points(xs[:tc.hours]), monday, at(tc.hours), tc.c) {
				got = append(got, int(v.Hour.Sub(monday)/time.Hour))
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("judged hours (-want +got):\n%s", d)
			}
		})
	}
}

func TestDetectSecondSpike(t *testing.T) {
	biz := businessWeek(3, 0.5, 0.2)
	for _, tc := range []struct {
		name   string
		spikes []spike
	}{
		{"two hours apart", []spike{{hourOf(6, 1, 10), 3, anomaly.HourOfWeek}, {hourOf(6, 1, 12), 3, anomaly.HourOfWeek}}},
		{"three hours of spike, then one", []spike{
			{hourOf(6, 2, 9), 4, anomaly.HourOfWeek}, {hourOf(6, 2, 10), 4, anomaly.HourOfWeek}, {hourOf(6, 2, 11), 4, anomaly.HourOfWeek},
			{hourOf(6, 2, 15), 3, anomaly.HourOfWeek},
		}},
		{"a big one, then a small one", []spike{{hourOf(6, 3, 10), 20, anomaly.HourOfWeek}, {hourOf(6, 3, 14), 2.5, anomaly.HourOfWeek}}},
		{"a week apart", []spike{{hourOf(5, 3, 10), 3, anomaly.HourOfWeek}, {hourOf(6, 3, 10), 3, anomaly.HourOfWeek}}},
		{"on previous days", []spike{{hourOf(1, 1, 10), 3, anomaly.HourOfDay}, {hourOf(1, 1, 13), 3, anomaly.HourOfDay}, {hourOf(1, 2, 10), 3, anomaly.HourOfDay}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			xs := generate(biz, 7*168, noise, 11)
			inject(xs, biz, tc.spikes)
			var want []int
			for _, sp := range tc.spikes {
				want = append(want, sp.Hour)
			}
			if d := cmp.Diff(want, flaggedHours(xs, anomaly.Config{})); d != "" {
				t.Errorf("flagged hours (-want +got):\n%s", d)
			}
		})
	}
}

func TestDetectLevelShift(t *testing.T) {
	shift := hourOf(5, 0, 10)
	for _, tc := range []struct {
		name  string
		shape shape
	}{
		{"flat", flat(1)},
		{"business week", businessWeek(3, 0.5, 0.2)},
		{"daily cycle", daily(0.2, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Long enough for the weekly medians to take the new level.
			xs := generate(tc.shape, 14*168, noise, 5)
			for h := shift; h < len(xs); h++ {
				xs[h] *= 3
			}
			got := flaggedHours(xs, anomaly.Config{})
			if len(got) == 0 || got[0] != shift {
				t.Fatalf("flagged hours %v, want the first at the shift, hour %d", got, shift)
			}
			if last := got[len(got)-1]; last >= shift+int(anomaly.DefaultWindow/time.Hour) {
				t.Errorf("flagged hours %v: the last is %d hours after the shift, want fewer than the window's %d",
					got, last-shift, int(anomaly.DefaultWindow/time.Hour))
			}
		})
	}
}

// TestDetectVerdictsDoNotChange judges hours with the data up to them, with
// 200 more hours, and from far before them: the verdicts must be equal.
func TestDetectVerdictsDoNotChange(t *testing.T) {
	biz := businessWeek(3, 0.5, 0.2)
	xs := generate(growing(biz, 2, 12), 12*168, 0.15, 9)
	spikes := []spike{{hourOf(0, 1, 11), 4, anomaly.Level}, {hourOf(2, 1, 11), 3, anomaly.HourOfDay}, {hourOf(10, 2, 11), 3, anomaly.HourOfWeek}}
	inject(xs, growing(biz, 2, 12), spikes)
	all := anomaly.Detect(points(xs), monday, at(len(xs)), anomaly.Config{})
	byHour := map[int]anomaly.Verdict{}
	for _, v := range all {
		byHour[int(v.Hour.Sub(monday)/time.Hour)] = v
	}
	hours := []int{24, 30, 71, 72, 100, 400, 575, 576, 800, 9*168 + 1, 9*168 + 2, 11*168 - 201}
	for _, sp := range spikes {
		hours = append(hours, sp.Hour)
	}
	for _, h := range hours {
		alone := judge(t, xs, h, anomaly.Config{})
		later := anomaly.Detect(points(xs[:h+201]), at(h), at(h+201), anomaly.Config{})
		if len(later) == 0 {
			t.Fatalf("hour %d: no verdicts with 200 more hours", h)
		}
		for what, v := range map[string]anomaly.Verdict{"with 200 more hours": later[0], "judging every hour from the start": byHour[h]} {
			if d := cmp.Diff(alone, v); d != "" {
				t.Errorf("hour %d, %s (-with the data up to it +%s):\n%s", h, what, what, d)
			}
		}
	}
	for _, sp := range spikes {
		if !byHour[sp.Hour].Anomalous {
			t.Errorf("hour %d: the spike is not flagged: %+v", sp.Hour, byHour[sp.Hour])
		}
	}
}

func TestDetectIgnoresNonFinite(t *testing.T) {
	biz := businessWeek(3, 0.5, 0.2)
	xs := generate(biz, 5*168, noise, 4)
	spikes := []spike{{hourOf(4, 1, 10), 3, anomaly.HourOfWeek}}
	inject(xs, biz, spikes)
	clean := points(xs)
	dirty := slices.Clone(clean)
	bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1)}
	for i, h := range []int{-30, 5, 100, 101, hourOf(4, 1, 9), hourOf(4, 1, 10), len(xs) - 1} {
		// Before the series' first point too: it must not start earlier.
		dirty = append(dirty, anomaly.Point{Hour: at(h), CostUSD: bad[i%len(bad)]})
	}
	want := anomaly.Detect(clean, monday, at(len(xs)), anomaly.Config{})
	got := anomaly.Detect(dirty, monday.Add(-48*time.Hour), at(len(xs)), anomaly.Config{})
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("verdicts with NaN and infinite points (-without +with):\n%s", d)
	}
	if vs := anomaly.Detect([]anomaly.Point{{Hour: monday, CostUSD: math.NaN()}}, monday, at(100), anomaly.Config{}); vs != nil {
		t.Errorf("Detect of only a NaN point: got %d verdicts, want none", len(vs))
	}
}

func TestDetectSeriesAssembly(t *testing.T) {
	xs := generate(flat(1), 3*24, noise, 2)
	for h := 7; h < len(xs); h += 7 {
		xs[h] = 0 // hours that spent nothing
	}
	xs[50] = 8
	want := anomaly.Detect(points(xs), monday, at(len(xs)), anomaly.Config{})
	if len(want) != 2*24 || !want[50-24].Anomalous {
		t.Fatalf("reference: %d verdicts (want 48), hour 50 flagged %t (want true)", len(want), len(want) > 26 && want[26].Anomalous)
	}
	// The same spend, split in two points per hour, one half an hour into
	// it, in reverse order, with the hours of zero spend left out, and
	// points at and after the end.
	var split []anomaly.Point
	for h := len(xs) - 1; h >= 0; h-- {
		if xs[h] == 0 {
			continue
		}
		split = append(split,
			anomaly.Point{Hour: at(h).Add(30 * time.Minute), CostUSD: xs[h] / 4},
			anomaly.Point{Hour: at(h), CostUSD: xs[h] * 3 / 4})
	}
	split = append(split, anomaly.Point{Hour: at(len(xs)), CostUSD: 1000}, anomaly.Point{Hour: at(len(xs) + 7), CostUSD: 1000})
	got := anomaly.Detect(split, monday.Add(10*time.Minute), at(len(xs)).Add(59*time.Minute), anomaly.Config{})
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a)) })); d != "" {
		t.Errorf("verdicts of the split points (-whole +split):\n%s", d)
	}
	if vs := anomaly.Detect(points(xs), at(30), at(30), anomaly.Config{}); vs != nil {
		t.Errorf("an empty range: got %d verdicts, want none", len(vs))
	}
}

func TestConfigDefaults(t *testing.T) {
	d := anomaly.DefaultConfig()
	want := anomaly.Config{
		Threshold: 6.5, MinHistory: 24 * time.Hour, DailyAfter: 72 * time.Hour, WeeklyAfter: 21 * 24 * time.Hour,
		Weeks: 8, Window: 72 * time.Hour, HalfLife: 12 * time.Hour, MinExcessUSD: 0.05, MinIncrease: 0.25,
	}
	if d != want {
		t.Errorf("DefaultConfig() = %+v, want %+v", d, want)
	}
	// Eight weeks of medians behind a week of residuals, and their
	// neighbouring hour.
	if got, want := (anomaly.Config{}).History(), 9*168*time.Hour+time.Hour; got != want {
		t.Errorf("History() = %s, want %s", got, want)
	}
	if got, want := (anomaly.Config{Weeks: 2, Window: 200 * time.Hour}).History(), (2*168+200+1)*time.Hour; got != want {
		t.Errorf("History() with 2 weeks and a 200-hour window = %s, want %s", got, want)
	}

	biz := businessWeek(3, 0.5, 0.2)
	xs := generate(biz, 6*168, noise, 8)
	inject(xs, biz, []spike{{hourOf(0, 1, 11), 4, anomaly.Level}, {hourOf(5, 2, 11), 3, anomaly.HourOfWeek}})
	reference := anomaly.Detect(points(xs), monday, at(len(xs)), d)
	for _, tc := range []struct {
		name string
		c    anomaly.Config
	}{
		{"zero", anomaly.Config{}},
		{"out of range", anomaly.Config{Threshold: -1, MinHistory: 30 * time.Minute, DailyAfter: -time.Hour, WeeklyAfter: -1,
			Weeks: -3, Window: time.Minute, HalfLife: -time.Hour, MinExcessUSD: -0.5, MinIncrease: -1}},
	} {
		if d := cmp.Diff(reference, anomaly.Detect(points(xs), monday, at(len(xs)), tc.c)); d != "" {
			t.Errorf("%s config: verdicts differ from the defaults' (-defaults +got):\n%s", tc.name, d)
		}
	}
	if got := flaggedHours(xs, anomaly.Config{Threshold: 100}); len(got) != 0 {
		t.Errorf("Threshold 100: flagged %v, want nothing", got)
	}
	if got := flaggedHours(xs, anomaly.Config{MinExcessUSD: 100}); len(got) != 0 {
		t.Errorf("MinExcessUSD 100: flagged %v, want nothing", got)
	}
}

// TestDetectWeekendStart: a business week series that starts on a Saturday
// has two quiet days of history when its first working day begins; the
// level baseline cannot know that Monday is busier, and flags its first
// hours (the level follows within hours). Once the seasonal baselines see
// working days, nothing is flagged.
func TestDetectWeekendStart(t *testing.T) {
	biz := businessWeek(3, 0.5, 0.2)
	saturday := func(h int) float64 { return biz(h + 5*24) }
	for seed := range uint64(10) {
		got := flaggedHours(generate(saturday, 6*168, noise, seed), anomaly.Config{})
		if len(got) == 0 || got[0] < 48 || got[len(got)-1] >= 72 {
			t.Errorf("seed %d: flagged hours %v, want some, all on the first Monday (hours 48-71)", seed, got)
		}
	}
}

func TestVerdictAnomaly(t *testing.T) {
	xs := generate(flat(1), 5*168, noise, 6)
	h := hourOf(4, 2, 10)
	xs[h] = 4
	v := judge(t, xs, h, anomaly.Config{})
	detected := time.Date(2031, 2, 6, 11, 5, 0, 0, time.FixedZone("CET", 3600))
	a := v.Anomaly("function", "resize", detected)
	if a.ID() != "function/resize/2031-02-05T10" || !a.Hour.Equal(at(h)) || a.CostUSD != 4 || a.ExpectedUSD != v.ExpectedUSD ||
		a.Score != v.Score || a.DetectedAt.Location() != time.UTC || !a.DetectedAt.Equal(detected) {
		t.Errorf("Anomaly() = %+v (ID %s), want function resize's hour %s", a, a.ID(), at(h).Format(time.RFC3339))
	}
	for _, part := range []string{"spent $4 in the hour", "the same hour of the week in previous weeks", "robust standard deviations above"} {
		if !strings.Contains(a.Reason, part) {
			t.Errorf("Reason %q does not say %q", a.Reason, part)
		}
	}
}

// BenchmarkDetect judges the last day of eight weeks of an hourly series:
// what the hourly job does for each function and team (it judges fewer
// hours, from the same history).
func BenchmarkDetect(b *testing.B) {
	xs := generate(growing(businessWeek(3, 0.5, 0.2), 1.5, 8), 8*168, noise, 1)
	ps := points(xs)
	from, to := at(len(xs)-24), at(len(xs))
	b.ReportAllocs()
	for b.Loop() {
		if vs := anomaly.Detect(ps, from, to, anomaly.Config{}); len(vs) != 24 {
			b.Fatalf("got %d verdicts, want 24", len(vs))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/24, "ns/hour")
}
