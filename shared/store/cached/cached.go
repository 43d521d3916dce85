// Package cached puts a bounded, short-lived cache in front of a store's
// hot-path reads (functions, policies, API keys, the default function), so a
// warm invocation makes no configuration read at all. Writes made through it
// invalidate at once; writes made by other processes (other Lambda
// instances) show after at most the TTL.
package cached

import (
	"context"
	"fmt"
	"time"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/cache"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
)

// MaxEntries bounds each cache.
const MaxEntries = 10_000

// Store caches reads of the store it wraps; everything else passes through.
type Store struct {
	store.Store
	functions *cache.TTL[catalog.Function]
	policies  *cache.TTL[policy.Policy]
	keys      *cache.TTL[apikey.Key]
	defaultFn *cache.TTL[string]
}

var _ store.Store = (*Store)(nil)

// New wraps s. ttl <= 0 turns caching off.
func New(s store.Store, ttl time.Duration, now func() time.Time) *Store {
	return &Store{
		Store:     s,
		functions: cache.New[catalog.Function](ttl, MaxEntries, now),
		policies:  cache.New[policy.Policy](ttl, MaxEntries, now),
		keys:      cache.New[apikey.Key](ttl, MaxEntries, now),
		defaultFn: cache.New[string](ttl, 1, now),
	}
}

// GetFunction implements store.Functions.
func (s *Store) GetFunction(ctx context.Context, name string) (catalog.Function, error) {
	return s.functions.Get(ctx, name, func(ctx context.Context) (catalog.Function, error) { return s.Store.GetFunction(ctx, name) })
}

// GetPolicy implements store.Policies.
func (s *Store) GetPolicy(ctx context.Context, name string) (policy.Policy, error) {
	return s.policies.Get(ctx, name, func(ctx context.Context) (policy.Policy, error) { return s.Store.GetPolicy(ctx, name) })
}

// KeyByHash implements store.Keys.
func (s *Store) KeyByHash(ctx context.Context, hash string) (apikey.Key, error) {
	return s.keys.Get(ctx, hash, func(ctx context.Context) (apikey.Key, error) { return s.Store.KeyByHash(ctx, hash) })
}

// DefaultFunction implements store.Policies.
func (s *Store) DefaultFunction(ctx context.Context) (string, error) {
	return s.defaultFn.Get(ctx, "", func(ctx context.Context) (string, error) { return s.Store.DefaultFunction(ctx) })
}

// PutFunction implements store.Functions.
func (s *Store) PutFunction(ctx context.Context, f catalog.Function, expect int64) (catalog.Function, bool, error) {
	defer s.functions.Forget(f.Name)
	return s.Store.PutFunction(ctx, f, expect)
}

// DeleteFunction implements store.Functions.
func (s *Store) DeleteFunction(ctx context.Context, name string, expect int64) error {
	defer s.functions.Forget(name)
	return s.Store.DeleteFunction(ctx, name, expect)
}

// PutPolicy implements store.Policies.
func (s *Store) PutPolicy(ctx context.Context, p policy.Policy, expect int64) (policy.Policy, bool, error) {
	defer s.policies.Forget(p.Name)
	return s.Store.PutPolicy(ctx, p, expect)
}

// DeletePolicy implements store.Policies.
func (s *Store) DeletePolicy(ctx context.Context, name string, expect int64) error {
	defer s.policies.Forget(name)
	return s.Store.DeletePolicy(ctx, name, expect)
}

// ActivatePolicy implements store.Policies. Activation touches two policies,
// a function and the default function, so every routing cache is dropped.
func (s *Store) ActivatePolicy(ctx context.Context, name string, now time.Time) (policy.Policy, error) {
	defer s.purgeRouting()
	p, err := s.Store.ActivatePolicy(ctx, name, now)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("activate policy %q: %w", name, err)
	}
	return p, nil
}

// DeactivatePolicy implements store.Policies.
func (s *Store) DeactivatePolicy(ctx context.Context, name string, now time.Time) (policy.Policy, error) {
	defer s.purgeRouting()
	p, err := s.Store.DeactivatePolicy(ctx, name, now)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("deactivate policy %q: %w", name, err)
	}
	return p, nil
}

// DeleteKey implements store.Keys. Keys are cached by hash and deleted by ID,
// so the whole key cache goes.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	defer s.keys.Purge()
	return s.Store.DeleteKey(ctx, id)
}

func (s *Store) purgeRouting() {
	s.functions.Purge()
	s.policies.Purge()
	s.defaultFn.Purge()
}
