package cached_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/cached"
	"github.com/fiso-dev/fiso/shared/store/embedded"
)

// counting counts the reads that reach the wrapped store.
type counting struct {
	store.Store
	mu    sync.Mutex
	reads map[string]int
}

func (c *counting) hit(op string) { c.mu.Lock(); c.reads[op]++; c.mu.Unlock() }
func (c *counting) n(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[op]
}

func (c *counting) GetFunction(ctx context.Context, name string) (catalog.Function, error) {
	c.hit("function")
	return c.Store.GetFunction(ctx, name)
}
func (c *counting) GetPolicy(ctx context.Context, name string) (policy.Policy, error) {
	c.hit("policy")
	return c.Store.GetPolicy(ctx, name)
}
func (c *counting) KeyByHash(ctx context.Context, hash string) (apikey.Key, error) {
	c.hit("key")
	return c.Store.KeyByHash(ctx, hash)
}
func (c *counting) DefaultFunction(ctx context.Context) (string, error) {
	c.hit("default")
	return c.Store.DefaultFunction(ctx)
}

func setup(t *testing.T) (*cached.Store, *counting, *time.Time) {
	t.Helper()
	raw, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	c := &counting{Store: raw, reads: map[string]int{}}
	now := time.Unix(1_800_000_000, 0)
	s := cached.New(c, 5*time.Second, func() time.Time { return now })
	ctx := context.Background()
	f := catalog.Function{Name: "f", UpdatedAt: now, Deployments: []catalog.Deployment{{Provider: catalog.AWS, Region: "us-east-1", Target: "f"}}}
	f.Normalize()
	if _, _, err := s.PutFunction(ctx, f, store.AnyVersion); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"p1", "p2"} {
		p := policy.Policy{Name: name, Function: "f", Strategy: policy.Static, DefaultProvider: catalog.AWS, UpdatedAt: now}
		if _, _, err := s.PutPolicy(ctx, p, store.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ActivatePolicy(ctx, "p1", now); err != nil {
		t.Fatal(err)
	}
	return s, c, &now
}

func TestReadsAreCachedForTheTTL(t *testing.T) {
	s, c, now := setup(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := s.GetFunction(ctx, "f"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DefaultFunction(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if c.n("function") != 1 || c.n("default") != 1 {
		t.Fatalf("reads = %v, want one of each within the TTL", c.reads)
	}
	*now = now.Add(5 * time.Second)
	_, _ = s.GetFunction(ctx, "f")
	if c.n("function") != 2 {
		t.Errorf("function reads after the TTL = %d, want 2", c.n("function"))
	}
}

func TestWritesThroughTheCacheShowAtOnce(t *testing.T) {
	s, _, now := setup(t)
	ctx := context.Background()
	f, _ := s.GetFunction(ctx, "f")
	if f.ActivePolicy != "p1" {
		t.Fatalf("active policy = %q, want p1", f.ActivePolicy)
	}
	// Activation changes the function, both policies and the default function.
	_, _ = s.GetPolicy(ctx, "p1")
	if _, err := s.ActivatePolicy(ctx, "p2", *now); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.GetFunction(ctx, "f"); f.ActivePolicy != "p2" {
		t.Errorf("after activating p2: function says %q", f.ActivePolicy)
	}
	if p, _ := s.GetPolicy(ctx, "p1"); p.IsActive {
		t.Error("after activating p2: p1 still reads as active")
	}
	f.Description = "changed"
	if _, _, err := s.PutFunction(ctx, f, store.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetFunction(ctx, "f"); got.Description != "changed" {
		t.Errorf("after PutFunction: description %q", got.Description)
	}
}

func TestRevokedKeysStopAtOnce(t *testing.T) {
	s, c, now := setup(t)
	ctx := context.Background()
	k, err := apikey.New("a-long-enough-plaintext-key-000", "k", apikey.Invoker, "", *now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := s.KeyByHash(ctx, k.Hash); err != nil {
			t.Fatal(err)
		}
	}
	if c.n("key") != 1 {
		t.Errorf("key reads = %d, want 1", c.n("key"))
	}
	if err := s.DeleteKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KeyByHash(ctx, k.Hash); err == nil {
		t.Error("a revoked key still authenticates through the cache")
	}
}
