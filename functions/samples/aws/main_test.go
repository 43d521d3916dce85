package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/functions/samples/sample"
	"github.com/fiso-dev/fiso/shared/testenv"
)

// TestBootstrapUnderTheRuntimeAPI builds this program and runs it the way
// Lambda's provided.al2023 runtime does: AWS_LAMBDA_RUNTIME_API points at a
// loopback server speaking the Runtime API, which hands out one invocation
// and receives its answer.
func TestBootstrapUnderTheRuntimeAPI(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		testenv.Require(t, "go toolchain: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	const reqID = "6f1b7c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e"
	event := []byte(`{"order":"o-1"}`)
	answers := make(chan []byte, 1)
	var served atomic.Bool
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next":
			if served.Swap(true) { // one invocation only; later polls wait for the test to end
				<-r.Context().Done()
				return
			}
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", reqID)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:fiso-sample")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5e1b4151-5ac6c58f5b5dbd6a1bcbdf0e")
			w.Write(event)
		case r.Method == http.MethodPost && r.URL.Path == "/2018-06-01/runtime/invocation/"+reqID+"/response":
			b, _ := io.ReadAll(r.Body)
			answers <- b
			w.WriteHeader(http.StatusAccepted)
		default:
			t.Errorf("unexpected runtime API call %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer api.Close()

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(api.URL, "http://"))
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()

	select {
	case b := <-answers:
		var got sample.Response
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("answer %q: %v", b, err)
		}
		if got.Platform != sample.PlatformAWS || got.Message != sample.Message || got.Region != "eu-west-1" || got.ReceivedBytes != len(event) {
			t.Fatalf("got %+v", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no answer from the bootstrap\n%s", logs.String())
	}
}
