package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/functions/samples/sample"
	"github.com/fiso-dev/fiso/shared/localcloud"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func buildHandler(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		testenv.Require(t, "go toolchain: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "handler")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestRunsBehindTheHost runs the custom handler as the Functions host does
// (a process told its port in FUNCTIONS_CUSTOMHANDLER_PORT) behind the host
// emulator, which forwards requests to it.
func TestRunsBehindTheHost(t *testing.T) {
	bin := buildHandler(t)
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), fmt.Sprintf("FUNCTIONS_CUSTOMHANDLER_PORT=%d", port), "REGION_NAME=North Europe")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	handlerURL := &url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", port)}
	if err := testenv.WaitHTTP(handlerURL.String(), 30*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	host, err := localcloud.NewAzureHost("the-function-key", httputil.NewSingleHostReverseProxy(handlerURL))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(host)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/sample", strings.NewReader(`{"a":1}`))
	req.Header.Set("x-functions-key", "the-function-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got sample.Response
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || got.Platform != sample.PlatformAzure || got.Region != "North Europe" || got.ReceivedBytes != 7 {
		t.Fatalf("got %d %+v", resp.StatusCode, got)
	}
}

func TestFailsWithoutPort(t *testing.T) {
	bin := buildHandler(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "FUNCTIONS_CUSTOMHANDLER_PORT is not set") {
		t.Fatalf("got %v: %s; want a clear failure", err, out)
	}
}
