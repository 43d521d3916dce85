// Package eventbus is FISO's outgoing events (rate-card changes now; budget
// alerts later): one documented shape — source "fiso", a detail type per
// kind, a JSON detail — and a Log publisher for runs without a bus. The
// EventBridge publisher is in eventbus/eventbridge, so that services which
// publish depend on this package only, not on a cloud SDK.
package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// Source is the source of every FISO event.
const Source = "fiso"

// Event is one event: DetailType names its kind ("Rate Card Changed" ...),
// Detail is marshalled to JSON.
type Event struct {
	DetailType string
	Detail     any
}

// Encoded is an event ready to send.
type Encoded struct {
	DetailType string
	Detail     string
}

// Encode turns events into JSON details. An event that cannot be encoded is
// left out and reported in the error, so it cannot take the others down.
func Encode(events []Event) ([]Encoded, error) {
	out := make([]Encoded, 0, len(events))
	var errs []error
	for _, e := range events {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			errs = append(errs, fmt.Errorf("encode %q event: %w", e.DetailType, err))
			continue
		}
		out = append(out, Encoded{DetailType: e.DetailType, Detail: string(b)})
	}
	return out, errors.Join(errs...)
}

// Log publishes events as log lines.
type Log struct{ Logger *slog.Logger }

// Publish logs each event at info level.
func (l Log) Publish(ctx context.Context, events ...Event) error {
	encoded, err := Encode(events)
	for _, e := range encoded {
		l.Logger.InfoContext(ctx, "event", slog.String("source", Source), slog.String("detail_type", e.DetailType), slog.String("detail", e.Detail))
	}
	return err
}
