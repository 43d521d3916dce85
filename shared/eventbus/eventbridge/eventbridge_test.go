package eventbridge_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseventbridge "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/eventbus/eventbridge"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// The events reach a rule's target: EventBridge on moto routes them to an
// SQS queue, where the test reads them back.
func TestEventBridgeDelivers(t *testing.T) {
	ctx := context.Background()
	endpoint := testenv.Moto(t)
	cfg := testenv.AWSConfig()
	eb := awseventbridge.NewFromConfig(cfg, func(o *awseventbridge.Options) { o.BaseEndpoint = aws.String(endpoint) })
	q := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })

	name := "fiso-events-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if _, err := eb.CreateEventBus(ctx, &awseventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
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
	if _, err := eb.PutRule(ctx, &awseventbridge.PutRuleInput{
		Name: aws.String(name), EventBusName: aws.String(name), EventPattern: aws.String(`{"source":["fiso"]}`),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &awseventbridge.PutTargetsInput{
		Rule: aws.String(name), EventBusName: aws.String(name),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}},
	}); err != nil {
		t.Fatal(err)
	}

	events := make([]eventbus.Event, 12) // more than one PutEvents batch
	for i := range events {
		events[i] = eventbus.Event{DetailType: "Rate Card Changed", Detail: map[string]any{"n": i}}
	}
	// An event that cannot be encoded is reported, and the others still go.
	bad := eventbus.Event{DetailType: "Rate Card Changed", Detail: map[string]any{"ratio": math.Inf(1)}}
	if err := eventbridge.New(eb, name).Publish(ctx, append(events[:6:6], append([]eventbus.Event{bad}, events[6:]...)...)...); err == nil || !strings.Contains(err.Error(), "unsupported value") {
		t.Fatalf("Publish = %v, want the unencodable event reported", err)
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
