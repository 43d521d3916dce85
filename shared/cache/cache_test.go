package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func counter(loads *atomic.Int32, v string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { loads.Add(1); return v, nil }
}

func TestTTL(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	tests := []struct {
		name      string
		ttl       time.Duration
		step      func(c *TTL[string])
		wantLoads int32
	}{
		{"hit within ttl", time.Minute, func(c *TTL[string]) { clk.add(59 * time.Second) }, 1},
		{"reload after ttl", time.Minute, func(c *TTL[string]) { clk.add(time.Minute) }, 2},
		{"forget reloads", time.Minute, func(c *TTL[string]) { c.Forget("k") }, 2},
		{"purge reloads", time.Minute, func(c *TTL[string]) { c.Purge() }, 2},
		{"disabled always loads", 0, func(c *TTL[string]) {}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New[string](tc.ttl, 10, clk.now)
			var loads atomic.Int32
			for i := 0; i < 2; i++ {
				v, err := c.Get(ctx, "k", counter(&loads, "v"))
				if err != nil || v != "v" {
					t.Fatalf("Get = %q, %v; want v, nil", v, err)
				}
				if i == 0 {
					tc.step(c)
				}
			}
			if got := loads.Load(); got != tc.wantLoads {
				t.Errorf("loads = %d, want %d", got, tc.wantLoads)
			}
		})
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	c := New[string](time.Minute, 10, nil)
	boom := errors.New("boom")
	if _, err := c.Get(ctx, "k", func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	var loads atomic.Int32
	if v, _ := c.Get(ctx, "k", counter(&loads, "ok")); v != "ok" || loads.Load() != 1 {
		t.Errorf("after an error: got %q with %d loads, want ok with 1", v, loads.Load())
	}
}

func TestConcurrentMissesLoadOnce(t *testing.T) {
	c := New[string](time.Minute, 10, nil)
	var loads atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Get(ctx, "k", func(context.Context) (string, error) { loads.Add(1); <-release; return "v", nil })
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if got := loads.Load(); got != 1 {
		t.Errorf("loads = %d, want 1", got)
	}
}

func TestBounded(t *testing.T) {
	c := New[int](time.Minute, 5, nil)
	for i := 0; i < 100; i++ {
		_, _ = c.Get(ctx, fmt.Sprint(i), func(context.Context) (int, error) { return i, nil })
	}
	if n := c.Len(); n > 5 {
		t.Errorf("Len = %d, want at most 5", n)
	}
}

func TestInvalidationDuringLoadWins(t *testing.T) {
	c := New[string](time.Minute, 10, nil)
	_, _ = c.Get(ctx, "k", func(context.Context) (string, error) {
		c.Forget("k") // a write lands while the old value is being read
		return "stale", nil
	})
	var loads atomic.Int32
	if v, _ := c.Get(ctx, "k", counter(&loads, "fresh")); v != "fresh" {
		t.Errorf("Get after invalidation = %q, want fresh", v)
	}
}

var ctx = context.Background()

// One caller hanging up must not fail the others waiting on the same load.
func TestACancelledCallerDoesNotFailTheOthers(t *testing.T) {
	c := New[string](time.Minute, 10, nil)
	release := make(chan struct{})
	load := func(lctx context.Context) (string, error) {
		select {
		case <-release:
			return "v", nil
		case <-lctx.Done():
			return "", lctx.Err()
		}
	}
	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() { _, err := c.Get(first, "k", load); firstErr <- err }()
	time.Sleep(10 * time.Millisecond)
	second := make(chan string, 1)
	go func() { v, _ := c.Get(context.Background(), "k", load); second <- v }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled caller got %v, want context.Canceled", err)
	}
	close(release)
	if v := <-second; v != "v" {
		t.Errorf("the other caller got %q, want the loaded value", v)
	}
}
