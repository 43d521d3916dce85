package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/alert"
	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/secret"
	"github.com/fiso-dev/fiso/shared/testenv"
)

// once records each alert ID the first time (what the stores promise).
type once struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (o *once) PutAlert(_ context.Context, a budget.Alert) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[a.ID] {
		return false, nil
	}
	o.seen[a.ID] = true
	return true, nil
}

type events struct {
	mu  sync.Mutex
	got []eventbus.Event
}

func (e *events) Publish(_ context.Context, evs ...eventbus.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, evs...)
	return nil
}

// TestDispatch sends each crossing once to the bus and to a webhook that
// speaks Slack's incoming-webhook shape, and keeps the URL out of logs.
func TestDispatch(t *testing.T) {
	var mu sync.Mutex
	var bodies []alert.Body
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b alert.Body
		raw, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &b) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	defer hook.Close()
	secretURL := hook.URL + "/services/T000/B000/XXXXSECRET"
	var logs testenv.Buffer
	evs := &events{}
	d := &alert.Dispatcher{
		Store: &once{seen: map[string]bool{}}, Events: evs,
		Webhook: &alert.Webhook{URL: func(context.Context) (secret.Value, error) { return secret.NewValue(secretURL), nil }},
		Now:     func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) },
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	}
	c80 := budget.Crossing{Budget: budget.Ref{Scope: budget.Team, ID: "payments"}, Period: "2026-11", Threshold: 80, SpentUSD: 80.01, LimitUSD: 100}
	c100 := c80
	c100.Threshold, c100.SpentUSD = 100, 100.2
	d.Alert(context.Background(), []budget.Crossing{c80})
	d.Alert(context.Background(), []budget.Crossing{c80, c100}) // 80% again: already sent
	if len(evs.got) != 2 || evs.got[0].DetailType != alert.EventBudgetThreshold {
		t.Fatalf("events = %+v, want two %q", evs.got, alert.EventBudgetThreshold)
	}
	if len(bodies) != 2 || !strings.Contains(bodies[0].Text, "team/payments reached 80% of its $100.00 limit for 2026-11") {
		t.Fatalf("webhook bodies = %+v", bodies)
	}

	// A failing webhook is logged without its URL.
	d.Webhook = &alert.Webhook{URL: func(context.Context) (secret.Value, error) {
		return secret.NewValue("http://127.0.0.1:1/SECRETPATH"), nil
	}}
	c50 := c80
	c50.Threshold = 50
	d.Alert(context.Background(), []budget.Crossing{c50})
	if !strings.Contains(logs.String(), "post budget alert to the webhook") || strings.Contains(logs.String(), "SECRET") {
		t.Errorf("logs = %s, want the failure without the URL", logs.String())
	}
}

// TestAnomalies sends an anomaly to the bus and to a webhook that speaks
// Slack's incoming-webhook shape; a failing webhook does not stop the event
// and its error does not carry the URL.
func TestAnomalies(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		raw, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &b) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	defer hook.Close()
	var logs testenv.Buffer
	evs := &events{}
	n := &alert.Anomalies{
		Events: evs,
		Webhook: &alert.Webhook{URL: func(context.Context) (secret.Value, error) {
			return secret.NewValue(hook.URL + "/services/T0/B0/SECRET"), nil
		}},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	a := anomaly.Anomaly{
		Dimension: "function", Value: "resize", Hour: time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC),
		CostUSD: 12.5, ExpectedUSD: 1.25, Score: 17.25,
		Reason:     "spent $12.5 in the hour, 10.0x the $1.25 expected from the same hour of the week in previous weeks (17.2 robust standard deviations above)",
		DetectedAt: time.Date(2026, 11, 26, 4, 0, 5, 0, time.UTC),
	}
	if err := n.Send(context.Background(), a); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(evs.got) != 1 || evs.got[0].DetailType != alert.EventSpendAnomaly || evs.got[0].Detail != a {
		t.Fatalf("events = %+v, want one %q with the anomaly", evs.got, alert.EventSpendAnomaly)
	}
	wantText := "FISO: unusual spend by function resize in the hour from 2026-11-26 03:00 UTC: spent $12.5 in the hour, 10.0x the $1.25 expected"
	if len(bodies) != 1 || !strings.HasPrefix(bodies[0]["text"].(string), wantText) {
		t.Fatalf("webhook bodies = %+v, want one whose text starts %q", bodies, wantText)
	}
	if detail, _ := bodies[0]["fiso"].(map[string]any); detail["value"] != "resize" || detail["score"] != 17.25 || detail["hour"] != "2026-11-26T03:00:00Z" {
		t.Errorf("webhook detail = %+v, want the anomaly's fields", bodies[0]["fiso"])
	}
	if !strings.Contains(logs.String(), "spend anomaly") || !strings.Contains(logs.String(), a.ID()) {
		t.Errorf("logs = %s, want the anomaly logged", logs.String())
	}

	n.Webhook = &alert.Webhook{URL: func(context.Context) (secret.Value, error) {
		return secret.NewValue("http://127.0.0.1:1/SECRETPATH"), nil
	}}
	err := n.Send(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "post spend anomaly "+a.ID()+" to the webhook") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Send to a failing webhook: got error %v, want the failure without the URL", err)
	}
	if len(evs.got) != 2 {
		t.Errorf("Send to a failing webhook published %d events in all, want 2: the bus does not depend on the webhook", len(evs.got))
	}
}
