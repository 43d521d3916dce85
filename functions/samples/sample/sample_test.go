package sample_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/fiso-dev/fiso/functions/samples/sample"
)

const marker = "marker-do-not-echo"

func readEvent(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/event.json")
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	return b
}

// checkAnswer asserts the seed answer's fields and that the payload is not echoed.
func checkAnswer(t *testing.T, body []byte, platform, region string, received int) {
	t.Helper()
	if bytes.Contains(body, []byte(marker)) {
		t.Fatalf("the answer echoes the payload: %s", body)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("answer %q is not JSON: %v", body, err)
	}
	want := map[string]any{
		"message":        "Hello from the FISO Sample App!",
		"platform":       platform,
		"go_version":     runtime.Version(),
		"received_bytes": float64(received),
	}
	if region != "" {
		want["region"] = region
	}
	if len(got) != len(want) {
		t.Errorf("got fields %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
}

func TestHandleLambda(t *testing.T) {
	event := readEvent(t)
	tests := []struct {
		name       string
		ctx        context.Context
		payload    []byte
		wantRegion string
	}{
		{"event with Lambda context", lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
			AwsRequestID:       "0d1e4c8a-8f5b-4c1a-9a55-1b2f0c3d4e5f",
			InvokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:fiso-sample",
		}), event, "eu-west-1"},
		{"qualified ARN", lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
			InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fiso-sample:live",
		}), event, "us-east-1"},
		{"no Lambda context", context.Background(), event, ""},
		{"empty event", context.Background(), []byte(`{}`), ""},
	}
	h := lambda.NewHandler(sample.HandleLambda)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.Invoke(tc.ctx, tc.payload)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			// The runtime hands the handler the JSON value, without the
			// file's trailing newline.
			checkAnswer(t, out, sample.PlatformAWS, tc.wantRegion, len(bytes.TrimSpace(tc.payload)))
		})
	}
}

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(sample.HTTP))
	defer srv.Close()
	event := readEvent(t)
	tests := []struct {
		name       string
		method     string
		body       []byte
		wantStatus int
	}{
		{"POST", http.MethodPost, event, 200},
		{"GET", http.MethodGet, nil, 200},
		{"PUT", http.MethodPut, event, 405},
		{"too large", http.MethodPost, bytes.Repeat([]byte("x"), sample.MaxPayloadBytes+1), 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := do(t, tc.method, srv.URL+"/", tc.body)
			if status != tc.wantStatus {
				t.Fatalf("got %d %s, want %d", status, body, tc.wantStatus)
			}
			if status == 200 {
				checkAnswer(t, body, sample.PlatformGCP, "", len(tc.body))
			}
		})
	}
}

func TestAzureHandler(t *testing.T) {
	srv := httptest.NewServer(sample.AzureHandler(sample.WithRegion("westeurope")))
	defer srv.Close()
	event := readEvent(t)
	tests := []struct {
		name       string
		method     string
		path       string
		body       []byte
		wantStatus int
		wantAllow  string
	}{
		{"POST", http.MethodPost, "/api/sample", event, 200, ""},
		{"GET", http.MethodGet, "/api/sample", nil, 200, ""},
		{"DELETE", http.MethodDelete, "/api/sample", nil, 405, "GET, HEAD, POST"},
		{"other route", http.MethodPost, "/api/other", event, 404, ""},
		{"root", http.MethodGet, "/", nil, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := do(t, tc.method, srv.URL+tc.path, tc.body)
			if status != tc.wantStatus {
				t.Fatalf("got %d %s, want %d", status, body, tc.wantStatus)
			}
			if tc.wantAllow != "" && hdr.Get("Allow") != tc.wantAllow {
				t.Errorf("got Allow %q, want %q", hdr.Get("Allow"), tc.wantAllow)
			}
			if status == 200 {
				checkAnswer(t, body, sample.PlatformAzure, "westeurope", len(tc.body))
				if ct := hdr.Get("Content-Type"); ct != "application/json" {
					t.Errorf("got Content-Type %q", ct)
				}
			}
		})
	}
}

func do(t *testing.T, method, url string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), marker) {
		t.Fatalf("response echoes the payload: %s", b)
	}
	return resp.StatusCode, b, resp.Header
}
