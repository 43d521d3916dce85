package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/functions/samples/sample"
	"github.com/fiso-dev/fiso/shared/testenv"
)

// TestServesUnderTheFunctionsFramework builds this program and runs it as
// `fiso dev` does, on a free loopback port, then calls the sample through
// the framework. The framework cannot be stopped in-process, hence the
// separate process.
func TestServesUnderTheFunctionsFramework(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		testenv.Require(t, "go toolchain: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "gcp-sample")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "HOST=127.0.0.1")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	if err := testenv.WaitHTTP(url, 30*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"order":"o-1"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got sample.Response
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || got.Platform != sample.PlatformGCP || got.Message != sample.Message || got.ReceivedBytes != 15 {
		t.Fatalf("got %d %+v", resp.StatusCode, got)
	}
}
