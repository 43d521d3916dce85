package controlplane_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/embedded"
	"github.com/fiso-dev/fiso/shared/testenv"
)

// sentAlerts records the anomaly alerts a job sends; fail makes them fail.
type sentAlerts struct {
	mu   sync.Mutex
	got  []anomaly.Anomaly
	fail bool
}

func (s *sentAlerts) Send(_ context.Context, a anomaly.Anomaly) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("the bus is down")
	}
	s.got = append(s.got, a)
	return nil
}

func (s *sentAlerts) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, a := range s.got {
		out = append(out, a.ID())
	}
	slices.Sort(out)
	return out
}

// spendLog writes invocation records through the store: five weeks of
// steady hourly calls of two functions of two teams (a third function is
// idle), then one hour in which resize is called ten times as often.
func spendLog(t *testing.T, st store.Store, spike time.Time) {
	t.Helper()
	ctx := t.Context()
	for _, name := range []string{"resize", "thumbnail", "idle"} {
		if _, _, err := st.PutFunction(ctx, catalog.Function{Name: name, UpdatedAt: spike.Add(-60 * 24 * time.Hour)}, store.AnyVersion); err != nil {
			t.Fatalf("PutFunction(%s): %v", name, err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	call := func(fn, team string, at time.Time, usd float64) {
		n++
		cost := usd * (1 + 0.1*rng.NormFloat64())
		r := invocation.Record{ID: fmt.Sprintf("call-%06d", n), Timestamp: at, FunctionName: fn, Team: team, StatusCode: 200, CostUSD: &cost}
		if err := st.PutInvocation(ctx, r); err != nil {
			t.Fatalf("PutInvocation: %v", err)
		}
	}
	for h := spike.Add(-5 * 7 * 24 * time.Hour); h.Before(spike.Add(2 * time.Hour)); h = h.Add(time.Hour) {
		calls := 2
		if h.Equal(spike) {
			calls = 20
		}
		for i := range calls {
			call("resize", "imaging", h.Add(time.Duration(i+1)*time.Minute), 0.5)
		}
		call("thumbnail", "web", h.Add(30*time.Minute), 0.2)
	}
}

func TestFinOpsJobFindsSpendAnomalies(t *testing.T) {
	spike := time.Date(2031, time.March, 14, 9, 0, 0, 0, time.UTC)
	now := spike.Add(time.Hour + 5*time.Minute) // the spike is the last complete hour
	st, err := embedded.Open(t.TempDir(), embedded.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	spendLog(t, st, spike)

	sent := &sentAlerts{}
	logs := &testenv.Buffer{}
	job := &controlplane.FinOpsJob{Store: st, Alerts: sent, Now: func() time.Time { return now }, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	wantIDs := []string{"function/resize/2031-03-14T09", "team/imaging/2031-03-14T09"}

	got, err := job.Run(t.Context())
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	want := controlplane.FinOpsReport{Functions: 3, Teams: 2, JudgedFrom: spike.Add(-2 * time.Hour), JudgedTo: spike.Add(time.Hour), Anomalies: 2, New: 2}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("first run's report (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantIDs, sent.ids()); d != "" {
		t.Errorf("alerts sent by the first run (-want +got):\n%s", d)
	}
	recorded, err := st.ListAnomalies(t.Context(), spike.Add(-60*24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 2 {
		t.Fatalf("recorded anomalies = %+v, want the spike hour of resize and of its team", recorded)
	}
	for _, a := range recorded {
		if !a.Hour.Equal(spike) || a.CostUSD < 8 || a.CostUSD > 12 || a.ExpectedUSD < 0.8 || a.ExpectedUSD > 1.2 ||
			a.Score <= anomaly.DefaultThreshold || !a.DetectedAt.Equal(now) || a.Reason == "" {
			t.Errorf("recorded %+v, want about $10 spent at %s against about $1 expected, detected at %s", a, spike, now)
		}
	}
	if d := cmp.Diff(recorded, sentInOrder(sent, recorded)); d != "" {
		t.Errorf("alerts differ from the recorded anomalies (-recorded +sent):\n%s", d)
	}

	// The next run judges the spike hour again: nothing new, no alert.
	now = now.Add(time.Hour)
	got, err = job.Run(t.Context())
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	want.JudgedFrom, want.JudgedTo, want.New = want.JudgedFrom.Add(time.Hour), want.JudgedTo.Add(time.Hour), 0
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("second run's report (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantIDs, sent.ids()); d != "" {
		t.Errorf("alerts sent after the second run (-want +got):\n%s", d)
	}
	again, err := st.ListAnomalies(t.Context(), spike.Add(-60*24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(recorded, again); d != "" {
		t.Errorf("recorded anomalies after the second run (-after the first +after the second):\n%s", d)
	}
}

// sentInOrder returns the sent alerts in the order of recorded.
func sentInOrder(sent *sentAlerts, recorded []anomaly.Anomaly) []anomaly.Anomaly {
	sent.mu.Lock()
	defer sent.mu.Unlock()
	var out []anomaly.Anomaly
	for _, r := range recorded {
		for _, a := range sent.got {
			if a.ID() == r.ID() {
				out = append(out, a)
			}
		}
	}
	return out
}

// TestFinOpsJobFailedAlert: an alert that cannot be sent fails the run (so
// that it shows), while the anomaly stays recorded.
func TestFinOpsJobFailedAlert(t *testing.T) {
	spike := time.Date(2031, time.March, 14, 9, 0, 0, 0, time.UTC)
	now := spike.Add(time.Hour + 5*time.Minute)
	st, err := embedded.Open(t.TempDir(), embedded.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	spendLog(t, st, spike)
	job := &controlplane.FinOpsJob{Store: st, Alerts: &sentAlerts{fail: true}, Now: func() time.Time { return now }, Logger: slog.New(slog.NewJSONHandler(&testenv.Buffer{}, nil))}
	got, err := job.Run(t.Context())
	if err == nil {
		t.Fatalf("run with a failing alert: no error, want one")
	}
	if got.New != 2 || got.AlertsFailed != 2 || got.Failed != 0 {
		t.Errorf("report = %+v, want 2 new anomalies whose 2 alerts failed, and no series failed", got)
	}
	if recorded, err := st.ListAnomalies(t.Context(), spike, 0); err != nil || len(recorded) != 2 {
		t.Errorf("recorded anomalies = %+v (%v), want 2", recorded, err)
	}
}
