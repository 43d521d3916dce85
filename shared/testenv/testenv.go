// Package testenv gives tests the real servers they run against: a moto_server
// (DynamoDB, Secrets Manager ... on one port) started once per test binary
// unless `make test` already started one. In CI (CI=true) a missing server
// fails the test instead of skipping it: a skipped suite in CI is a hole.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// MotoEnv names the variable through which `make test` hands its moto_server
// endpoint to every test binary.
const MotoEnv = "FISO_TEST_MOTO_ENDPOINT"

var (
	motoOnce sync.Once
	motoURL  string
	motoErr  error
	motoCmd  *exec.Cmd
)

// Main runs the tests and then stops any server this package started. Use it
// from TestMain: func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if motoCmd != nil && motoCmd.Process != nil {
		_ = motoCmd.Process.Kill()
		_ = motoCmd.Wait()
	}
	return code
}

// Moto returns the base URL of a moto server, starting one if needed.
func Moto(t testing.TB) string {
	t.Helper()
	u := os.Getenv(MotoEnv)
	if u == "" {
		motoOnce.Do(func() { motoURL, motoErr = startMoto() })
		if motoErr != nil {
			Require(t, "moto_server: %v", motoErr)
		}
		u = motoURL
	}
	if parsed, err := url.Parse(u); err == nil {
		motoHost.Store(&parsed.Host) // AWSConfig's client serializes requests to it
	}
	return u
}

// Require fails the test in CI and skips it elsewhere: for servers that a
// developer's machine may lack but CI must have.
func Require(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("required test server unavailable in CI: %s", msg)
	}
	t.Skipf("test server unavailable (set CI=true to make this a failure): %s", msg)
}

// AWSConfig is an SDK configuration for talking to moto: static dummy
// credentials, us-east-1, and an HTTP client that sends the requests of
// every client of the test binary to moto one at a time (see motoHTTP).
// Point clients at Moto(t) with BaseEndpoint.
func AWSConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		HTTPClient:  motoClient,
	}
}

func startMoto() (string, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return "", fmt.Errorf("not installed (pip install 'moto[server]'): %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	motoCmd = cmd
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := WaitHTTP(endpoint+"/moto-api/", 30*time.Second); err != nil {
		return "", fmt.Errorf("moto_server did not come up on %s: %w", endpoint, err)
	}
	return endpoint, nil
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitHTTP polls url until it answers anything at all or the timeout passes.
func WaitHTTP(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", url, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Buffer is a bytes.Buffer safe for concurrent writers, for capturing the
// logs or output of a server under test.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }

// String returns everything written so far.
func (s *Buffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
