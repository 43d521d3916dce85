package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// EventQueue is an SQS queue on moto that an EventBridge rule sends every
// FISO event of one bus to, so tests see the events as a subscriber would.
type EventQueue struct {
	sqs *sqs.Client
	url *string
}

// NewEventBus creates the bus and a queue subscribed to FISO's events on it.
func NewEventBus(t testing.TB, cfg aws.Config, endpoint, bus string) EventQueue {
	t.Helper()
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(endpoint) })
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(bus)})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: created.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(bus), EventBusName: aws.String(bus), EventPattern: aws.String(`{"source":["fiso"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(bus), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Taken down in reverse, so that a test may run again (-count).
		ctx := context.Background()
		_, terr := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(bus), EventBusName: aws.String(bus), Ids: []string{"queue"}})
		_, rerr := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(bus), EventBusName: aws.String(bus)})
		_, berr := eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(bus)})
		_, qerr := q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: created.QueueUrl})
		if err := errors.Join(terr, rerr, berr, qerr); err != nil {
			t.Errorf("take down event bus %s: %v", bus, err)
		}
	})
	return EventQueue{sqs: q, url: created.QueueUrl}
}

// Event is a delivered event's type and detail.
type Event struct {
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// Receive reads until want events arrived or a few seconds passed.
func (q EventQueue) Receive(t testing.TB, want int) []Event {
	t.Helper()
	var got []Event
	for deadline := time.Now().Add(10 * time.Second); len(got) < want && time.Now().Before(deadline); {
		out, err := q.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: q.url, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var ev Event
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatal(err)
			}
			got = append(got, ev)
		}
	}
	return got
}

// Count counts events by detail type.
func Count(events []Event) map[string]int {
	out := map[string]int{}
	for _, e := range events {
		out[e.DetailType]++
	}
	return out
}
