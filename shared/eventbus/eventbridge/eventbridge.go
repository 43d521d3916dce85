// Package eventbridge publishes FISO's events (shared/eventbus) to an Amazon
// EventBridge bus.
package eventbridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/fiso-dev/fiso/shared/eventbus"
)

// PutEventsAPI is the part of the EventBridge client the bus uses.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Bus publishes to one event bus.
type Bus struct {
	api  PutEventsAPI
	name string
}

// New publishes to the bus name ("" or "default" for the account's default bus).
func New(api PutEventsAPI, name string) *Bus {
	if name == "" {
		name = "default"
	}
	return &Bus{api: api, name: name}
}

// maxBatch is PutEvents' limit of entries per call.
const maxBatch = 10

// Publish sends events, ten per call. Events that cannot be encoded, and
// partially failed calls, are reported in the error; the rest are sent.
func (b *Bus) Publish(ctx context.Context, events ...eventbus.Event) error {
	encoded, encErr := eventbus.Encode(events)
	errs := []error{encErr}
	for start := 0; start < len(encoded); start += maxBatch {
		batch := encoded[start:min(start+maxBatch, len(encoded))]
		entries := make([]types.PutEventsRequestEntry, len(batch))
		for i, e := range batch {
			entries[i] = types.PutEventsRequestEntry{
				EventBusName: aws.String(b.name),
				Source:       aws.String(eventbus.Source),
				DetailType:   aws.String(e.DetailType),
				Detail:       aws.String(e.Detail),
			}
		}
		out, err := b.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			errs = append(errs, fmt.Errorf("put %d events on bus %s: %w", len(entries), b.name, err))
			continue
		}
		if out.FailedEntryCount > 0 {
			code := ""
			for _, e := range out.Entries {
				if e.ErrorCode != nil {
					code = aws.ToString(e.ErrorCode) + ": " + aws.ToString(e.ErrorMessage)
					break
				}
			}
			errs = append(errs, fmt.Errorf("put events on bus %s: %d of %d failed (%s)", b.name, out.FailedEntryCount, len(entries), code))
		}
	}
	return errors.Join(errs...)
}
