package embedded

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/storetest"
)

// holdEnv makes the test binary a helper process that holds a store open
// until its standard input closes: the only honest way to test the lock
// taken by another process.
const holdEnv = "FISO_EMBEDDED_TEST_HOLD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" {
		os.Exit(holdStore(dir))
	}
	os.Exit(m.Run())
}

func holdStore(dir string) int {
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	fmt.Println("holding")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // returns at EOF
	return 0
}

func openStore(t *testing.T, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, bolt.ErrDatabaseNotOpen) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openStore(t, t.TempDir(), WithClock(storetest.Now))
	})
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", ".fiso")
	openStore(t, dir)
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {filepath.Join(dir, FileName), 0o600}} {
		info, err := os.Stat(c.path)
		if err != nil {
			t.Fatalf("stat %s: %v", c.path, err)
		}
		if got := info.Mode().Perm(); got != c.want {
			t.Errorf("%s: got mode %o, want %o", c.path, got, c.want)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	f := catalog.Function{Name: "resize", Deployments: []catalog.Deployment{{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: "resize"}}, UpdatedAt: time.Now()}
	want, _, err := s.PutFunction(ctx, f, store.AnyVersion)
	if err != nil {
		t.Fatalf("PutFunction: %v", err)
	}
	r := invocation.Record{ID: "01JREOPEN", FunctionName: "resize", Timestamp: time.Now().UTC()}
	if err := s.PutInvocation(ctx, r); err != nil {
		t.Fatalf("PutInvocation: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openStore(t, dir)
	got, err := s.GetFunction(ctx, "resize")
	if err != nil || got.Version != want.Version || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("GetFunction after reopening: got version %d updated %s (%v), want version %d updated %s", got.Version, got.UpdatedAt, err, want.Version, want.UpdatedAt)
	}
	if _, err := s.GetInvocation(ctx, r.ID); err != nil {
		t.Errorf("GetInvocation after reopening: %v", err)
	}
}

func TestOpenLockedByAnotherProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".fiso")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper process: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "holding\n" {
		t.Fatalf("helper process: got %q, %v, want \"holding\"", line, err)
	}

	start := time.Now()
	s, err := Open(dir)
	if err == nil {
		s.Close()
		t.Fatalf("Open while another process holds the store: got success, want an error")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Open gave up after %s, want about a second", took)
	}
	for _, want := range []string{"the store in " + dir + " is in use by another process", `"fiso dev"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
	openStore(t, dir) // the lock went with the process
}

func TestPurgeExpired(t *testing.T) {
	now := time.Date(2031, time.January, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		name      string
		expiresAt time.Time
		purged    bool
	}{
		{name: "long expired", expiresAt: now.Add(-24 * time.Hour), purged: true},
		{name: "just expired", expiresAt: now.Add(-time.Nanosecond), purged: true},
		{name: "expires now", expiresAt: now},
		{name: "expires later", expiresAt: now.Add(time.Hour)},
		{name: "never expires", expiresAt: time.Time{}},
	}
	for _, batch := range []int{1000, 1, 2} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			s := openStore(t, t.TempDir(), WithClock(func() time.Time { return now.Add(-48 * time.Hour) }))
			s.purgeBatch = batch
			wantPurged := 0
			for i, tc := range tests {
				r := invocation.Record{ID: fmt.Sprintf("inv-%d", i), FunctionName: "resize", KeyID: "k1", Timestamp: now.Add(-time.Duration(i) * time.Minute), ExpiresAt: tc.expiresAt}
				if err := s.PutInvocation(t.Context(), r); err != nil {
					t.Fatalf("PutInvocation: %v", err)
				}
				if tc.purged {
					wantPurged++
				}
			}
			n, err := s.PurgeExpired(t.Context(), now)
			if err != nil || n != wantPurged {
				t.Fatalf("PurgeExpired: got %d, %v, want %d", n, err, wantPurged)
			}
			for i, tc := range tests {
				_, err := s.GetInvocation(t.Context(), fmt.Sprintf("inv-%d", i))
				if gone := errors.Is(err, fault.ErrNotFound); gone != tc.purged {
					t.Errorf("%s: gone after purge = %t (%v), want %t", tc.name, gone, err, tc.purged)
				}
			}
			live := len(tests) - wantPurged
			wantCounts := map[string]int{
				bucketInvocations: live, bucketInvocationsByTime: live, bucketInvocationsByKey: live,
				bucketInvocationsByID: live, bucketInvocationsExpires: live - 1, // one never expires
			}
			diffCounts(t, s, wantCounts)
			if n, err := s.PurgeExpired(t.Context(), now); err != nil || n != 0 {
				t.Errorf("second PurgeExpired: got %d, %v, want 0", n, err)
			}
		})
	}
}

func TestPurgeExpiredStopsWithContext(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.PurgeExpired(ctx, time.Now()); err == nil {
		t.Errorf("PurgeExpired with a cancelled context: got success, want an error")
	}
}

func TestReplacingAnInvocationMovesItsIndexEntries(t *testing.T) {
	s := openStore(t, t.TempDir())
	ts := time.Date(2031, time.January, 2, 3, 4, 5, 6, time.UTC)
	first := invocation.Record{ID: "inv-1", FunctionName: "resize", KeyID: "k1", Timestamp: ts, ExpiresAt: ts.Add(time.Hour)}
	second := invocation.Record{ID: "inv-1", FunctionName: "ocr", KeyID: "k2", Timestamp: ts.Add(time.Minute), ExpiresAt: ts.Add(2 * time.Hour)}
	for _, r := range []invocation.Record{first, second} {
		if err := s.PutInvocation(t.Context(), r); err != nil {
			t.Fatalf("PutInvocation: %v", err)
		}
	}
	diffCounts(t, s, map[string]int{
		bucketInvocations: 1, bucketInvocationsByTime: 1, bucketInvocationsByKey: 1,
		bucketInvocationsByID: 1, bucketInvocationsExpires: 1,
	})
	for _, q := range []invocation.Query{{Function: "resize"}, {KeyID: "k1"}, {Function: "ocr"}, {KeyID: "k2"}, {}} {
		q.Since, q.Until = ts.Add(-time.Hour), ts.Add(time.Hour)
		page, err := s.ListInvocations(t.Context(), q)
		want := 1
		if q.Function == "resize" || q.KeyID == "k1" {
			want = 0
		}
		if err != nil || len(page.Items) != want {
			t.Errorf("ListInvocations(function %q, key %q): got %d items (%v), want %d", q.Function, q.KeyID, len(page.Items), err, want)
		}
	}
}

func TestConcurrentInvocationWrites(t *testing.T) {
	s := openStore(t, t.TempDir())
	ts := time.Date(2031, time.January, 2, 3, 4, 5, 6, time.UTC)
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.PutInvocation(t.Context(), invocation.Record{ID: fmt.Sprintf("inv-%03d", i), FunctionName: "resize", Timestamp: ts.Add(time.Duration(i))})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("PutInvocation: %v", err)
	}
	page, err := s.ListInvocations(t.Context(), invocation.Query{Since: ts, Until: ts.Add(time.Second), Limit: invocation.MaxLimit})
	if err != nil || len(page.Items) != n {
		t.Fatalf("ListInvocations: got %d items (%v), want %d", len(page.Items), err, n)
	}
}

func TestRejectsUnkeyableInput(t *testing.T) {
	s := openStore(t, t.TempDir())
	ts := time.Date(2031, time.January, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		name  string
		write func(ctx context.Context) error
	}{
		{"function without a name", func(ctx context.Context) error {
			_, _, err := s.PutFunction(ctx, catalog.Function{}, store.AnyVersion)
			return err
		}},
		{"policy without a name", func(ctx context.Context) error {
			_, _, err := s.PutPolicy(ctx, policy.Policy{Function: "resize"}, store.AnyVersion)
			return err
		}},
		{"key without a hash", func(ctx context.Context) error {
			return s.PutKey(ctx, apikey.Key{ID: "0123456789abcdef", Name: "ci"})
		}},
		{"invocation without an ID", func(ctx context.Context) error {
			return s.PutInvocation(ctx, invocation.Record{FunctionName: "resize", Timestamp: ts})
		}},
		{"invocation without a function", func(ctx context.Context) error {
			return s.PutInvocation(ctx, invocation.Record{ID: "inv-1", Timestamp: ts})
		}},
		{"invocation ID with NUL", func(ctx context.Context) error {
			return s.PutInvocation(ctx, invocation.Record{ID: "inv\x001", FunctionName: "resize", Timestamp: ts})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(t.Context()); !errors.Is(err, fault.ErrInvalid) {
				t.Errorf("got %v, want %v", err, fault.ErrInvalid)
			}
		})
	}
}

func diffCounts(t *testing.T, s *Store, want map[string]int) {
	t.Helper()
	// Invocation writes are acknowledged when queued; look after they land.
	if err := s.log.flush(); err != nil {
		t.Fatal(err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		for bucket, n := range want {
			if got := tx.Bucket([]byte(bucket)).Stats().KeyN; got != n {
				t.Errorf("bucket %s: got %d keys, want %d", bucket, got, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
