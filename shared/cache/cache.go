// Package cache is a small, bounded, time-limited cache with request
// collapsing: concurrent misses for one key make a single load. It keeps hot
// configuration (functions, policies, API keys) off the store on the request
// path while bounding how stale an entry can be.
package cache

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// TTL caches values for a fixed time.
type TTL[V any] struct {
	ttl   time.Duration
	max   int
	now   func() time.Time
	group singleflight.Group

	mu    sync.RWMutex
	items map[string]entry[V]
	// gen is bumped by every invalidation, so a load that started before an
	// invalidation cannot store its now-stale result after it.
	gen uint64
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns a cache holding at most max entries for ttl each. A ttl of
// zero or less disables caching: every Get loads.
func New[V any](ttl time.Duration, max int, now func() time.Time) *TTL[V] {
	if now == nil {
		now = time.Now
	}
	if max <= 0 {
		max = 1
	}
	return &TTL[V]{ttl: ttl, max: max, now: now, items: map[string]entry[V]{}}
}

// LoadTimeout bounds one shared load.
const LoadTimeout = 10 * time.Second

// Get returns the cached value for key, or calls load once for all
// concurrent callers and caches a successful result. Errors are not cached.
// The shared load runs on a context detached from any one caller's (so one
// caller hanging up cannot fail the others) and bounded by LoadTimeout; each
// caller stops waiting at its own deadline.
func (c *TTL[V]) Get(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	var zero V
	if c.ttl <= 0 {
		return load(ctx)
	}
	c.mu.RLock()
	e, ok := c.items[key]
	c.mu.RUnlock()
	if ok && c.now().Before(e.expires) {
		return e.v, nil
	}
	ch := c.group.DoChan(key, func() (any, error) {
		c.mu.RLock()
		gen := c.gen
		c.mu.RUnlock()
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), LoadTimeout)
		defer cancel()
		v, err := load(lctx)
		if err != nil {
			return v, err
		}
		c.mu.Lock()
		if c.gen == gen {
			c.put(key, v)
		}
		c.mu.Unlock()
		return v, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		return res.Val.(V), nil
	case <-ctx.Done():
		return zero, fmt.Errorf("wait for a shared load: %w", ctx.Err())
	}
}

// put stores v; the caller holds mu. When full it drops expired entries, and
// then arbitrary ones, so memory stays bounded whatever the key pattern.
func (c *TTL[V]) put(key string, v V) {
	now := c.now()
	if _, ok := c.items[key]; !ok && len(c.items) >= c.max {
		for k, e := range c.items {
			if !now.Before(e.expires) {
				delete(c.items, k)
			}
		}
		for k := range c.items {
			if len(c.items) < c.max {
				break
			}
			delete(c.items, k)
		}
	}
	c.items[key] = entry[V]{v: v, expires: now.Add(c.ttl)}
}

// Forget drops one key.
func (c *TTL[V]) Forget(key string) {
	c.mu.Lock()
	delete(c.items, key)
	c.gen++
	c.mu.Unlock()
	c.group.Forget(key)
}

// Purge drops everything.
func (c *TTL[V]) Purge() {
	c.mu.Lock()
	c.items = map[string]entry[V]{}
	c.gen++
	c.mu.Unlock()
}

// Len is the number of entries held, expired ones included.
func (c *TTL[V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.items)
}
