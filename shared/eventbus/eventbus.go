// Package eventbus publishes FISO's events (rate-card changes now; budget
// alerts later) to Amazon EventBridge, or to the log where there is no bus
// (local runs). Events have a documented shape: source "fiso", a detail type
// per kind, and a JSON detail.
package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// Source is the EventBridge source of every FISO event.
const Source = "fiso"

// Event is one event: DetailType names its kind ("Rate Card Changed" ...),
// Detail is marshalled to JSON.
type Event struct {
	DetailType string
	Detail     any
}

// PutEventsAPI is the part of the EventBridge client the bus uses.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// EventBridge publishes to one event bus.
type EventBridge struct {
	api PutEventsAPI
	bus string
}

// NewEventBridge publishes to bus ("" or "default" for the account's default bus).
func NewEventBridge(api PutEventsAPI, bus string) *EventBridge {
	if bus == "" {
		bus = "default"
	}
	return &EventBridge{api: api, bus: bus}
}

// maxBatch is PutEvents' limit of entries per call.
const maxBatch = 10

// Publish sends events, ten per call; a partially failed call is an error
// naming how many entries failed and the first error code.
func (b *EventBridge) Publish(ctx context.Context, events ...Event) error {
	for start := 0; start < len(events); start += maxBatch {
		batch := events[start:min(start+maxBatch, len(events))]
		entries := make([]types.PutEventsRequestEntry, len(batch))
		for i, e := range batch {
			detail, err := json.Marshal(e.Detail)
			if err != nil {
				return fmt.Errorf("encode %q event: %w", e.DetailType, err)
			}
			entries[i] = types.PutEventsRequestEntry{
				EventBusName: aws.String(b.bus),
				Source:       aws.String(Source),
				DetailType:   aws.String(e.DetailType),
				Detail:       aws.String(string(detail)),
			}
		}
		out, err := b.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return fmt.Errorf("put %d events on bus %s: %w", len(entries), b.bus, err)
		}
		if out.FailedEntryCount > 0 {
			code := ""
			for _, e := range out.Entries {
				if e.ErrorCode != nil {
					code = aws.ToString(e.ErrorCode) + ": " + aws.ToString(e.ErrorMessage)
					break
				}
			}
			return fmt.Errorf("put events on bus %s: %d of %d failed (%s)", b.bus, out.FailedEntryCount, len(entries), code)
		}
	}
	return nil
}

// Log publishes events as log lines, for runs without a bus.
type Log struct{ Logger *slog.Logger }

// Publish logs each event at info level.
func (l Log) Publish(ctx context.Context, events ...Event) error {
	for _, e := range events {
		l.Logger.InfoContext(ctx, "event", slog.String("source", Source), slog.String("detail_type", e.DetailType), slog.Any("detail", e.Detail))
	}
	return nil
}
