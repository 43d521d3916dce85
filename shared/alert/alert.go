// Package alert sends FISO's alerts: each threshold a budget crosses is
// recorded once per period (the store decides which of two concurrent
// crossings sends it), published on the event bus and, when configured,
// posted to a webhook in a Slack-compatible body; each spend anomaly the
// hourly FinOps job records goes out the same two ways.
package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/secret"
)

// Detail types of alert events.
const (
	// EventBudgetThreshold's detail is a budget.Alert.
	EventBudgetThreshold = "Budget Threshold Crossed"
	// EventSpendAnomaly's detail is an anomaly.Anomaly.
	EventSpendAnomaly = "Spend Anomaly Detected"
)

// Store records alerts once.
type Store interface {
	PutAlert(ctx context.Context, a budget.Alert) (bool, error)
}

// Publisher sends events.
type Publisher interface {
	Publish(ctx context.Context, events ...eventbus.Event) error
}

// Dispatcher implements budget.Alerter.
type Dispatcher struct {
	Store  Store
	Events Publisher
	// Webhook, when set, receives every alert.
	Webhook *Webhook
	Now     func() time.Time
	Logger  *slog.Logger
}

var _ budget.Alerter = (*Dispatcher)(nil)

// Alert records, publishes and posts the alerts of crossings not recorded
// before. Failures are logged: an alert must never fail a call.
func (d *Dispatcher) Alert(ctx context.Context, crossings []budget.Crossing) {
	now, logger := time.Now, d.Logger
	if d.Now != nil {
		now = d.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	for _, c := range crossings {
		a := budget.AlertOf(c, now())
		first, err := d.Store.PutAlert(ctx, a)
		if err != nil {
			logger.LogAttrs(ctx, slog.LevelError, "record budget alert", slog.String("alert", a.ID), slog.Any("error", err))
			continue
		}
		if !first {
			continue // another call crossed it first and sent it
		}
		logger.LogAttrs(ctx, slog.LevelWarn, "budget alert", slog.String("alert", a.ID), slog.Float64("spent_usd", a.SpentUSD), slog.Float64("limit_usd", a.LimitUSD))
		dctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
		if d.Events != nil {
			if err := d.Events.Publish(dctx, eventbus.Event{DetailType: EventBudgetThreshold, Detail: a}); err != nil {
				logger.LogAttrs(ctx, slog.LevelError, "publish budget alert", slog.String("alert", a.ID), slog.Any("error", err))
			}
		}
		if d.Webhook != nil {
			if err := d.Webhook.Post(dctx, Text(a), a); err != nil {
				logger.LogAttrs(ctx, slog.LevelError, "post budget alert to the webhook", slog.String("alert", a.ID), slog.Any("error", err))
			}
		}
		cancel()
	}
}

// deliveryTimeout bounds the publishing and posting of one alert: the call
// that crossed its threshold waits for them.
const deliveryTimeout = 5 * time.Second

// Text is an alert in one sentence.
func Text(a budget.Alert) string {
	if a.Refusing {
		return fmt.Sprintf("FISO: budget %s is refusing calls for %s: $%.4f spent plus what calls in flight hold leaves no room under its $%.2f limit.",
			a.Budget, a.Period, a.SpentUSD, a.LimitUSD)
	}
	return fmt.Sprintf("FISO: budget %s reached %g%% of its $%.2f limit for %s ($%.4f spent).",
		a.Budget, a.Threshold, a.LimitUSD, a.Period, a.SpentUSD)
}

// Anomalies sends spend anomalies. Recording each once is its caller's
// part (the FinOps job sends only those its PutAnomaly recorded first).
type Anomalies struct {
	Events Publisher
	// Webhook, when set, receives every anomaly.
	Webhook *Webhook
	Logger  *slog.Logger
}

// Send publishes a and posts it to the webhook, trying both whatever
// happens to either, and returns what failed.
func (n *Anomalies) Send(ctx context.Context, a anomaly.Anomaly) error {
	logger := n.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(ctx, slog.LevelWarn, "spend anomaly", slog.String("anomaly", a.ID()),
		slog.Float64("cost_usd", a.CostUSD), slog.Float64("expected_usd", a.ExpectedUSD), slog.Float64("score", a.Score))
	var errs []error
	if n.Events != nil {
		if err := n.Events.Publish(ctx, eventbus.Event{DetailType: EventSpendAnomaly, Detail: a}); err != nil {
			errs = append(errs, fmt.Errorf("publish spend anomaly %s: %w", a.ID(), err))
		}
	}
	if n.Webhook != nil {
		if err := n.Webhook.Post(ctx, AnomalyText(a), a); err != nil {
			errs = append(errs, fmt.Errorf("post spend anomaly %s to the webhook: %w", a.ID(), err))
		}
	}
	return errors.Join(errs...)
}

// AnomalyText is an anomaly in one sentence.
func AnomalyText(a anomaly.Anomaly) string {
	return fmt.Sprintf("FISO: unusual spend by %s %s in the hour from %s UTC: %s.",
		a.Dimension, a.Value, a.Hour.UTC().Format("2006-01-02 15:04"), a.Reason)
}

// Webhook posts JSON to a URL that is a secret (a Slack incoming webhook's
// URL is its credential): it never appears in errors or logs.
type Webhook struct {
	// URL returns the webhook's URL (resolved from a credential reference
	// when it is needed, so that a rotated secret is picked up).
	URL    func(ctx context.Context) (secret.Value, error)
	Client *http.Client
}

// Body is what the webhook receives: Slack's "text", plus the alert's
// fields for other receivers.
type Body struct {
	Text  string `json:"text"`
	Alert any    `json:"fiso"`
}

// Post sends text and detail; a status other than 2xx is an error.
func (w *Webhook) Post(ctx context.Context, text string, detail any) error {
	body, err := json.Marshal(Body{Text: text, Alert: detail})
	if err != nil {
		return fmt.Errorf("encode webhook body: %w", err)
	}
	target, err := w.URL(ctx)
	if err != nil {
		return fmt.Errorf("resolve the webhook URL: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.Reveal(), bytes.NewReader(body))
	if err != nil {
		return errors.New("the webhook URL is not a valid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return fmt.Errorf("post to the webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post to the webhook: status %d", resp.StatusCode)
	}
	return nil
}
