package eventbus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// The events reach a rule's target: EventBridge on moto routes them to an
// SQS queue, where the test reads them back.
func TestEventBridgeDelivers(t *testing.T) {
	ctx := context.Background()
	endpoint := testenv.Moto(t)
	cfg := testenv.AWSConfig()
	eb := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(endpoint) })
	q := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })

	name := "fiso-events-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(name), EventBusName: aws.String(name), EventPattern: aws.String(`{"source":["fiso"]}`),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(name), EventBusName: aws.String(name),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}},
	}); err != nil {
		t.Fatal(err)
	}

	events := make([]eventbus.Event, 12) // more than one PutEvents batch
	for i := range events {
		events[i] = eventbus.Event{DetailType: "Rate Card Changed", Detail: map[string]any{"n": i}}
	}
	if err := eventbus.NewEventBridge(eb, name).Publish(ctx, events...); err != nil {
		t.Fatal(err)
	}

	seen := map[float64]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(seen) < len(events) && time.Now().Before(deadline) {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var env struct {
				Source     string         `json:"source"`
				DetailType string         `json:"detail-type"`
				Detail     map[string]any `json:"detail"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
				t.Fatalf("message %q: %v", aws.ToString(m.Body), err)
			}
			if env.Source != eventbus.Source || env.DetailType != "Rate Card Changed" {
				t.Errorf("event %+v", env)
			}
			seen[env.Detail["n"].(float64)] = true
		}
	}
	if len(seen) != len(events) {
		t.Errorf("received %d of %d events", len(seen), len(events))
	}
}

func TestLogPublishes(t *testing.T) {
	var buf bytes.Buffer
	l := eventbus.Log{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	if err := l.Publish(context.Background(), eventbus.Event{DetailType: "Rate Card Changed", Detail: map[string]string{"key": "aws/lambda/us-east-1/x86_64"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"detail_type":"Rate Card Changed"`) || !strings.Contains(buf.String(), "aws/lambda/us-east-1/x86_64") {
		t.Errorf("log = %s", buf.String())
	}
}
