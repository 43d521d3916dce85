package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/fiso-dev/fiso/functions/samples/gcp"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/devclouds"
)

// runCloud runs or controls one of fiso dev's local clouds.
func runCloud(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cloud", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to serve on (serve)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError{"usage: fiso cloud serve|stop|start aws|azure|gcp"}
	}
	p := catalog.Provider(pos[1])
	if !p.Valid() {
		return usageError{fmt.Sprintf("unknown provider %q; use aws, azure or gcp", pos[1])}
	}
	switch pos[0] {
	case "serve":
		return serveCloud(ctx, p, *addr)
	case "stop":
		return stopCloud(runDirFromEnv(), p, stdout)
	case "start":
		return startCloud(runDirFromEnv(), p, stdout)
	}
	return usageError{fmt.Sprintf("unknown cloud command %q", pos[0])}
}

func runDirFromEnv() string {
	return filepath.Join(envOr("FISO_DATA_DIR", controlplane.Defaults().DataDir), "run")
}

// serveCloud serves the sample the way its cloud would: the Lambda Invoke API
// in front of the aws-lambda-go handler, the Azure host (function-key check)
// in front of the custom handler, and functions-framework-go for GCP.
func serveCloud(ctx context.Context, p catalog.Provider, addr string) error {
	var (
		h   http.Handler
		err error
	)
	switch p {
	case catalog.AWS:
		h, err = devclouds.AWS()
	case catalog.Azure:
		h, err = devclouds.Azure(os.Getenv(devAzureKeyEnv))
	case catalog.GCP:
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("gcp --addr %q: %w", addr, err)
		}
		if err := funcframework.RegisterHTTPFunctionContext(ctx, "/", gcp.Sample); err != nil {
			return fmt.Errorf("register the gcp sample: %w", err)
		}
		// StartHostPort serves until the process ends; it cannot be shut
		// down, so the process simply exits when asked to stop.
		served := make(chan error, 1)
		go func() { served <- funcframework.StartHostPort(host, port) }()
		select {
		case err := <-served:
			return fmt.Errorf("functions-framework on %s: %w", addr, err)
		case <-ctx.Done():
			return nil
		}
	}
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s cloud on %s: %w", p, addr, err)
	}
	return nil
}

// stopCloud stops a local cloud the way an outage would: the process goes away.
func stopCloud(runDir string, p catalog.Provider, stdout io.Writer) error {
	pid, err := readPID(filepath.Join(runDir, string(p)+".pid"))
	if err != nil {
		return fmt.Errorf("the local %s cloud is not running (no pid file in %s; is fiso dev running with this FISO_DATA_DIR?): %w", p, runDir, err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop the local %s cloud (pid %d): %w", p, pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			fmt.Fprintf(stdout, "stopped the local %s cloud (pid %d)\n", p, pid)
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the local %s cloud (pid %d) did not stop within 10s", p, pid)
}

// startCloud asks fiso dev (SIGUSR1) to restart its stopped clouds on their
// old addresses, and waits for this one to answer.
func startCloud(runDir string, p catalog.Provider, stdout io.Writer) error {
	dev, err := readPID(filepath.Join(runDir, "dev.pid"))
	if err != nil {
		return fmt.Errorf("fiso dev is not running with this FISO_DATA_DIR (%s): %w", runDir, err)
	}
	if err := syscall.Kill(dev, syscall.SIGUSR1); err != nil {
		return fmt.Errorf("signal fiso dev (pid %d): %w", dev, err)
	}
	addrFile := filepath.Join(runDir, string(p)+".addr")
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if pid, err := readPID(filepath.Join(runDir, string(p)+".pid")); err == nil && syscall.Kill(pid, 0) == nil {
			if b, err := os.ReadFile(addrFile); err == nil && dialable(string(b)) {
				fmt.Fprintf(stdout, "the local %s cloud is up again on %s (pid %d)\n", p, b, pid)
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the local %s cloud did not come back within 15s; see %s", p, filepath.Join(runDir, string(p)+".log"))
}

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s does not hold a process ID", path)
	}
	return pid, nil
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// supervisor runs the local clouds as child processes of fiso dev, one per
// provider, so that stopping one is a real outage (connection refused), and
// restarts stopped ones on their old address when asked.
type supervisor struct {
	self   string
	runDir string
	logger *slog.Logger

	mu    sync.Mutex
	procs map[catalog.Provider]*cloudProc
}

type cloudProc struct {
	provider catalog.Provider
	addr     string
	env      []string
	cmd      *exec.Cmd
	done     chan struct{}
}

func newSupervisor(self, runDir string, logger *slog.Logger) *supervisor {
	return &supervisor{self: self, runDir: runDir, logger: logger, procs: map[catalog.Provider]*cloudProc{}}
}

// regionEnv is the variable each platform sets to the function's region.
func regionEnv(p catalog.Provider) string {
	switch p {
	case catalog.AWS:
		return "AWS_REGION"
	case catalog.Azure:
		return "REGION_NAME"
	}
	return "FUNCTION_REGION"
}

// describe names what serves a provider's local cloud.
func (s *supervisor) describe(p catalog.Provider) string {
	switch p {
	case catalog.AWS:
		return "Lambda Invoke API (aws-lambda-go)"
	case catalog.Azure:
		return "Azure custom handler"
	}
	return "functions-framework-go"
}

// start launches a provider's cloud on a free loopback port and waits until
// it accepts connections.
func (s *supervisor) start(p catalog.Provider, region string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("find a port for the local %s cloud: %w", p, err)
	}
	addr := l.Addr().String()
	l.Close()
	proc := &cloudProc{provider: p, addr: addr, env: []string{regionEnv(p) + "=" + region}}
	s.mu.Lock()
	s.procs[p] = proc
	s.mu.Unlock()
	if err := writeFile(filepath.Join(s.runDir, string(p)+".addr"), addr); err != nil {
		return err
	}
	return s.launch(proc)
}

func (s *supervisor) launch(proc *cloudProc) error {
	p := proc.provider
	logPath := filepath.Join(s.runDir, string(p)+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", logPath, err)
	}
	cmd := exec.Command(s.self, "cloud", "serve", string(p), "--addr", proc.addr)
	cmd.Env = append(os.Environ(), proc.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start the local %s cloud: %w", p, err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	proc.cmd, proc.done = cmd, done
	s.mu.Unlock()
	pidFile := filepath.Join(s.runDir, string(p)+".pid")
	if err := writeFile(pidFile, strconv.Itoa(cmd.Process.Pid)); err != nil {
		return err
	}
	go func() {
		err := cmd.Wait()
		logFile.Close()
		os.Remove(pidFile)
		s.logger.Warn("local cloud stopped", slog.String("provider", string(p)), slog.String("addr", proc.addr), slog.Any("exit", err))
		close(done)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for !dialable(proc.addr) {
		select {
		case <-done:
			return fmt.Errorf("the local %s cloud exited at start; see %s", p, logPath)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the local %s cloud did not listen on %s within 15s; see %s", p, proc.addr, logPath)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// restartStopped relaunches every cloud whose process has exited.
func (s *supervisor) restartStopped() {
	s.mu.Lock()
	var stopped []*cloudProc
	for _, p := range catalog.Providers() {
		proc, ok := s.procs[p]
		if !ok {
			continue
		}
		select {
		case <-proc.done:
			stopped = append(stopped, proc)
		default:
		}
	}
	s.mu.Unlock()
	for _, proc := range stopped {
		if err := s.launch(proc); err != nil {
			s.logger.Error("restart local cloud", slog.String("provider", string(proc.provider)), slog.Any("error", err))
			continue
		}
		s.logger.Info("local cloud restarted", slog.String("provider", string(proc.provider)), slog.String("addr", proc.addr))
	}
}

func (s *supervisor) addr(p catalog.Provider) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.procs[p].addr
}

func (s *supervisor) pid(p catalog.Provider) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if proc := s.procs[p]; proc != nil && proc.cmd != nil && proc.cmd.Process != nil {
		return proc.cmd.Process.Pid
	}
	return 0
}

// stopAll stops every cloud and waits for it.
func (s *supervisor) stopAll() {
	s.mu.Lock()
	procs := make([]*cloudProc, 0, len(s.procs))
	for _, p := range s.procs {
		procs = append(procs, p)
	}
	s.mu.Unlock()
	for _, proc := range procs {
		if proc.cmd == nil || proc.cmd.Process == nil {
			continue
		}
		_ = proc.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-proc.done:
		case <-time.After(5 * time.Second):
			_ = proc.cmd.Process.Kill()
			<-proc.done
		}
	}
}
