// Package alert sends FISO's budget alerts: each threshold a budget crosses
// is recorded once per period (the store decides which of two concurrent
// crossings sends it), published on the event bus and, when configured,
// posted to a webhook in a Slack-compatible body.
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

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/secret"
)

// EventBudgetThreshold is the detail type of a budget alert event; its
// detail is a budget.Alert.
const EventBudgetThreshold = "Budget Threshold Crossed"

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
		if d.Events != nil {
			if err := d.Events.Publish(ctx, eventbus.Event{DetailType: EventBudgetThreshold, Detail: a}); err != nil {
				logger.LogAttrs(ctx, slog.LevelError, "publish budget alert", slog.String("alert", a.ID), slog.Any("error", err))
			}
		}
		if d.Webhook != nil {
			if err := d.Webhook.Post(ctx, Text(a), a); err != nil {
				logger.LogAttrs(ctx, slog.LevelError, "post budget alert to the webhook", slog.String("alert", a.ID), slog.Any("error", err))
			}
		}
	}
}

// Text is an alert in one sentence.
func Text(a budget.Alert) string {
	return fmt.Sprintf("FISO: budget %s reached %g%% of its $%.2f limit for %s ($%.4f spent).",
		a.Budget, a.Threshold, a.LimitUSD, a.Period, a.SpentUSD)
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
