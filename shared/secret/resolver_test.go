package secret_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/secret"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// countingSM passes every call to the real (moto) client and counts them; an
// optional gate holds calls until the test releases it.
type countingSM struct {
	next  secret.SecretsManagerAPI
	calls atomic.Int32
	gate  chan struct{}
}

func (c *countingSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.calls.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return c.next.GetSecretValue(ctx, in, opts...)
}

// fakeClock is an injected clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func motoSM(t *testing.T) *secretsmanager.Client {
	t.Helper()
	endpoint := testenv.Moto(t)
	return secretsmanager.NewFromConfig(testenv.AWSConfig(), func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// createSecret stores value under a name unique to this test run and returns
// the name.
func createSecret(t *testing.T, sm *secretsmanager.Client, value string) string {
	t.Helper()
	name := fmt.Sprintf("fiso/test/%s-%s", strings.ReplaceAll(t.Name(), "/", "-"), rand.Text()[:8])
	_, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("create secret %s: %v", name, err)
	}
	return name
}

func TestResolve(t *testing.T) {
	sm := motoSM(t)
	stored := createSecret(t, sm, "sm-secret-value")
	env := map[string]string{"FISO_SECRET_KEY": "env-secret-value", "FISO_SECRET_EMPTY": "", "AWS_SECRET_ACCESS_KEY": "must-not-leak"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	r := secret.NewResolver(sm, secret.WithLookupEnv(lookup))

	tests := []struct {
		name    string
		ref     string
		want    string
		wantErr error
	}{
		{"env", "env:FISO_SECRET_KEY", "env-secret-value", nil},
		{"env unset", "env:FISO_SECRET_MISSING", "", fault.ErrNotFound},
		{"env empty", "env:FISO_SECRET_EMPTY", "", fault.ErrNotFound},
		{"env outside FISO_SECRET_", "env:AWS_SECRET_ACCESS_KEY", "", fault.ErrInvalid},
		{"secret outside fiso/", "secretsmanager:prod/db-password", "", fault.ErrInvalid},
		{"secretsmanager", "secretsmanager:" + stored, "sm-secret-value", nil},
		{"secretsmanager missing", "secretsmanager:fiso/test/does-not-exist-" + rand.Text()[:8], "", fault.ErrNotFound},
		{"no scheme", "FISO_KEY", "", fault.ErrInvalid},
		{"unknown scheme", "vault:kv/x", "", fault.ErrInvalid},
		{"empty name", "env:", "", fault.ErrInvalid},
		{"empty", "", "", fault.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := r.Resolve(context.Background(), tc.ref)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got error %v, want %v", err, tc.wantErr)
				}
				if tc.ref != "" && !strings.Contains(err.Error(), tc.ref) {
					t.Errorf("error %q does not name the reference %q", err, tc.ref)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if got := v.Reveal(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResolveWithoutSecretsManager(t *testing.T) {
	r := secret.NewResolver(nil)
	_, err := r.Resolve(context.Background(), "secretsmanager:fiso/anything")
	if !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("got %v, want a not-found error", err)
	}
}

func TestResolveCache(t *testing.T) {
	sm := motoSM(t)
	a := createSecret(t, sm, "value-a")
	b := createSecret(t, sm, "value-b")
	c := createSecret(t, sm, "value-c")
	ctx := context.Background()

	type step struct {
		advance   time.Duration
		ref       string
		want      string
		wantCalls int32 // cumulative GetSecretValue calls after this step
	}
	tests := []struct {
		name  string
		opts  []secret.Option
		steps []step
	}{
		{
			name: "hit within TTL, refetch after",
			opts: []secret.Option{secret.WithTTL(time.Minute)},
			steps: []step{
				{0, a, "value-a", 1},
				{30 * time.Second, a, "value-a", 1},
				{29 * time.Second, a, "value-a", 1},
				{time.Second, a, "value-a", 2},
				{0, a, "value-a", 2},
			},
		},
		{
			name: "bounded: the oldest entry is evicted",
			opts: []secret.Option{secret.WithTTL(time.Hour), secret.WithMaxEntries(2)},
			steps: []step{
				{0, a, "value-a", 1},
				{time.Second, b, "value-b", 2},
				{time.Second, c, "value-c", 3},
				{0, b, "value-b", 3},
				{0, c, "value-c", 3},
				{0, a, "value-a", 4},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
			counter := &countingSM{next: sm}
			r := secret.NewResolver(counter, append(tc.opts, secret.WithClock(clock.Now))...)
			for i, s := range tc.steps {
				clock.Advance(s.advance)
				v, err := r.Resolve(ctx, "secretsmanager:"+s.ref)
				if err != nil {
					t.Fatalf("step %d: got error %v", i, err)
				}
				if v.Reveal() != s.want {
					t.Fatalf("step %d: got %q, want %q", i, v.Reveal(), s.want)
				}
				if got := counter.calls.Load(); got != s.wantCalls {
					t.Fatalf("step %d: got %d calls, want %d", i, got, s.wantCalls)
				}
			}
		})
	}
}

func TestResolveBurstMakesOneFetch(t *testing.T) {
	sm := motoSM(t)
	name := createSecret(t, sm, "burst-value")
	counter := &countingSM{next: sm, gate: make(chan struct{})}
	r := secret.NewResolver(counter)

	const callers = 50
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			v, err := r.Resolve(context.Background(), "secretsmanager:"+name)
			if err == nil && v.Reveal() != "burst-value" {
				err = fmt.Errorf("got %q", v.Reveal())
			}
			errs <- err
		})
	}
	time.Sleep(50 * time.Millisecond) // let the callers pile up behind the gate
	close(counter.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := counter.calls.Load(); got != 1 {
		t.Fatalf("got %d GetSecretValue calls for a burst, want 1", got)
	}
}

func TestResolveCallerDeadline(t *testing.T) {
	sm := motoSM(t)
	name := createSecret(t, sm, "slow-value")
	counter := &countingSM{next: sm, gate: make(chan struct{})}
	r := secret.NewResolver(counter)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := r.Resolve(ctx, "secretsmanager:"+name)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the caller's deadline", err)
	}
	// The shared fetch outlives the impatient caller and fills the cache.
	close(counter.gate)
	v, err := r.Resolve(context.Background(), "secretsmanager:"+name)
	if err != nil || v.Reveal() != "slow-value" {
		t.Fatalf("got %q, %v; want the value", v.Reveal(), err)
	}
	if got := counter.calls.Load(); got != 1 {
		t.Fatalf("got %d calls, want 1", got)
	}
}

func TestResolveBinarySecret(t *testing.T) {
	sm := motoSM(t)
	name := fmt.Sprintf("fiso/test/binary-%s", rand.Text()[:8])
	_, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		SecretBinary: []byte{0xde, 0xad, 0xbe, 0xef},
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	_, err = secret.NewResolver(sm).Resolve(context.Background(), "secretsmanager:"+name)
	if !errors.Is(err, fault.ErrNotFound) || !strings.Contains(err.Error(), name) {
		t.Fatalf("got %v, want a not-found error naming %s", err, name)
	}
}
