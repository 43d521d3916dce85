package eventbus_test

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/eventbus"
)

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

func TestEncodeKeepsTheGoodEvents(t *testing.T) {
	enc, err := eventbus.Encode([]eventbus.Event{
		{DetailType: "A", Detail: map[string]int{"n": 1}},
		{DetailType: "B", Detail: math.NaN()},
		{DetailType: "C", Detail: "ok"},
	})
	if err == nil || !strings.Contains(err.Error(), `"B"`) {
		t.Errorf("err = %v, want the B event named", err)
	}
	if len(enc) != 2 || enc[0].Detail != `{"n":1}` || enc[1].Detail != `"ok"` {
		t.Errorf("encoded = %+v, want A and C", enc)
	}
}
