package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// newAnomaly is an anomaly of an hour before Now, with every field set.
func newAnomaly(dimension, value string, hoursAgo int) anomaly.Anomaly {
	hour := store.Hour(Now()).Add(-time.Duration(hoursAgo) * time.Hour)
	return anomaly.Anomaly{
		Dimension: dimension, Value: value, Hour: hour,
		CostUSD: 12.5, ExpectedUSD: 1.25, Score: 17.25,
		Reason:     "spent $12.5 in the hour, 10.0x the $1.25 expected from the same hour of the week in previous weeks (17.2 robust standard deviations above)",
		DetectedAt: hour.Add(65 * time.Minute),
	}
}

func testAnomalies(t *testing.T, open opener) {
	s := open(t)
	ctx := t.Context()
	old := newAnomaly("function", "resize", 30*24)
	a5 := newAnomaly("team", "imaging", 5)
	f2 := newAnomaly("function", "resize", 2)
	t2 := newAnomaly("team", "imaging", 2) // the same hour as f2: after it by ID, so listed before
	f1 := newAnomaly("function", "thumbnail", 1)
	for _, a := range []anomaly.Anomaly{f2, old, f1, t2, a5} {
		first, err := s.PutAnomaly(ctx, a)
		checkErr(t, "PutAnomaly "+a.ID(), err, nil)
		if !first {
			t.Errorf("PutAnomaly %s: first = false, want true", a.ID())
		}
	}

	// The same hour found again by a later run, with other figures, or
	// with an hour that is not on the hour: recorded already.
	again := f2
	again.CostUSD, again.Score, again.DetectedAt = 13, 18, Now()
	midHour := f2
	midHour.Hour = f2.Hour.Add(25 * time.Minute).In(time.FixedZone("IST", 5*3600+1800))
	for name, a := range map[string]anomaly.Anomaly{"again": again, "within the hour": midHour} {
		first, err := s.PutAnomaly(ctx, a)
		checkErr(t, "PutAnomaly "+name, err, nil)
		if first {
			t.Errorf("PutAnomaly %s of a recorded anomaly: first = true, want false", name)
		}
	}

	// Two overlapping runs finding the same anomaly at once: one records
	// it (and alerts).
	race := newAnomaly("team", "search", 3)
	var wg sync.WaitGroup
	firsts := make([]bool, 20)
	errs := make([]error, len(firsts))
	start := make(chan struct{})
	for i := range firsts {
		wg.Go(func() {
			<-start
			a := race
			a.DetectedAt = race.DetectedAt.Add(time.Duration(i) * time.Millisecond)
			firsts[i], errs[i] = s.PutAnomaly(ctx, a)
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	var won anomaly.Anomaly
	for i := range firsts {
		checkErr(t, "racing PutAnomaly", errs[i], nil)
		if firsts[i] {
			winners++
			won = race
			won.DetectedAt = race.DetectedAt.Add(time.Duration(i) * time.Millisecond)
		}
	}
	if winners != 1 {
		t.Fatalf("racing PutAnomaly: %d callers were first, want 1", winners)
	}

	list := func(since time.Time, limit int) []anomaly.Anomaly {
		t.Helper()
		got, err := s.ListAnomalies(ctx, since, limit)
		checkErr(t, "ListAnomalies", err, nil)
		return got
	}
	yearAgo := Now().AddDate(-1, 0, 0)
	diff(t, "ListAnomalies of everything, newest first", []anomaly.Anomaly{f1, t2, f2, won, a5, old}, list(yearAgo, 0))
	diff(t, "ListAnomalies since an anomaly's hour (inclusive)", []anomaly.Anomaly{f1, t2, f2, won}, list(won.Hour, 0))
	diff(t, "ListAnomalies with a limit", []anomaly.Anomaly{f1, t2}, list(yearAgo, 2))
	diff(t, "ListAnomalies with a limit within an hour", []anomaly.Anomaly{f1, t2, f2}, list(yearAgo, 3))
	diff(t, "ListAnomalies since within an hour", []anomaly.Anomaly{f1}, list(f2.Hour.Add(time.Minute), 10))
	if got := list(Now(), 10); len(got) != 0 {
		t.Errorf("ListAnomalies since the current hour started: got %d anomalies, want none", len(got))
	}

	for _, tc := range []struct {
		name string
		edit func(*anomaly.Anomaly)
	}{
		{"without a dimension", func(a *anomaly.Anomaly) { a.Dimension = "" }},
		{"without a value", func(a *anomaly.Anomaly) { a.Value = "" }},
		{"with a NUL in its value", func(a *anomaly.Anomaly) { a.Value = "a\x00b" }},
		{"without an hour", func(a *anomaly.Anomaly) { a.Hour = time.Time{} }},
	} {
		a := newAnomaly("function", "invalid", 4)
		tc.edit(&a)
		_, err := s.PutAnomaly(ctx, a)
		checkErr(t, "PutAnomaly "+tc.name, err, fault.ErrInvalid)
	}
	if got := list(yearAgo, 0); len(got) != 6 {
		t.Errorf("after the invalid PutAnomaly calls: %d anomalies listed, want 6", len(got))
	}
}
