package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"golang.org/x/sync/singleflight"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

// Reference schemes a credential_ref may use.
const (
	SchemeEnv            = "env"
	SchemeSecretsManager = "secretsmanager"
)

// Defaults for the cache of Secrets Manager values. Five minutes bounds how
// long a rotated key keeps being used; 1024 entries is far more references
// than a catalog holds.
const (
	DefaultTTL          = 5 * time.Minute
	DefaultMaxEntries   = 1024
	DefaultFetchTimeout = 10 * time.Second
)

// SecretsManagerAPI is the one call the resolver makes to AWS Secrets
// Manager; *secretsmanager.Client satisfies it.
type SecretsManagerAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ SecretsManagerAPI = (*secretsmanager.Client)(nil)

// Resolver resolves credential references. Secrets Manager values are cached
// for a bounded TTL and concurrent misses for one reference share a single
// fetch, so a burst of invocations of a cold deployment costs one API call;
// env references are read on every call (they cost nothing).
type Resolver struct {
	sm           SecretsManagerAPI
	lookupEnv    func(string) (string, bool)
	now          func() time.Time
	ttl          time.Duration
	maxEntries   int
	fetchTimeout time.Duration

	group singleflight.Group
	mu    sync.Mutex
	cache map[string]entry
}

type entry struct {
	v       Value
	expires time.Time
}

// Option configures a Resolver.
type Option func(*Resolver)

// WithLookupEnv replaces os.LookupEnv for env: references.
func WithLookupEnv(lookup func(string) (string, bool)) Option {
	return func(r *Resolver) { r.lookupEnv = lookup }
}

// WithClock replaces time.Now for cache expiry.
func WithClock(now func() time.Time) Option { return func(r *Resolver) { r.now = now } }

// WithTTL sets how long a Secrets Manager value is reused; 0 or less keeps
// DefaultTTL (an unbounded or disabled cache is never what FISO wants).
func WithTTL(d time.Duration) Option {
	return func(r *Resolver) {
		if d > 0 {
			r.ttl = d
		}
	}
}

// WithMaxEntries bounds the cache; values below 1 keep DefaultMaxEntries.
func WithMaxEntries(n int) Option {
	return func(r *Resolver) {
		if n > 0 {
			r.maxEntries = n
		}
	}
}

// WithFetchTimeout bounds one Secrets Manager call. The call is shared by
// every caller waiting for the reference, so it cannot run on any one
// caller's context; each caller still stops waiting at its own deadline.
func WithFetchTimeout(d time.Duration) Option {
	return func(r *Resolver) {
		if d > 0 {
			r.fetchTimeout = d
		}
	}
}

// NewResolver returns a Resolver. sm may be nil (an untyped nil, not a nil
// *secretsmanager.Client) where no Secrets Manager is configured, such as
// `fiso dev`; secretsmanager: references then fail to resolve.
func NewResolver(sm SecretsManagerAPI, opts ...Option) *Resolver {
	r := &Resolver{
		sm:           sm,
		lookupEnv:    os.LookupEnv,
		now:          time.Now,
		ttl:          DefaultTTL,
		maxEntries:   DefaultMaxEntries,
		fetchTimeout: DefaultFetchTimeout,
		cache:        map[string]entry{},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// ParseRef splits a credential reference into its scheme and name. The name
// of a secretsmanager: reference may itself contain colons (an ARN).
func ParseRef(ref string) (scheme, name string, err error) {
	scheme, name, ok := strings.Cut(ref, ":")
	if !ok || name == "" || (scheme != SchemeEnv && scheme != SchemeSecretsManager) {
		return "", "", fmt.Errorf("credential reference %q must be env:NAME or secretsmanager:ID: %w", shorten(ref), fault.ErrInvalid)
	}
	// The catalog refuses such references at write time; refusing them here
	// too keeps a stored or hand-made deployment from reading other secrets.
	if msg := catalog.CredentialRefProblem(ref); msg != "" {
		return "", "", fmt.Errorf("credential reference %q: %s: %w", shorten(ref), msg, fault.ErrInvalid)
	}
	return scheme, name, nil
}

// Resolve returns the secret ref names. Errors name the reference and wrap
// fault.ErrInvalid (malformed reference) or fault.ErrNotFound (no such
// variable or secret, or an empty one); they never carry the secret.
func (r *Resolver) Resolve(ctx context.Context, ref string) (Value, error) {
	scheme, name, err := ParseRef(ref)
	if err != nil {
		return Value{}, err
	}
	if scheme == SchemeEnv {
		s, ok := r.lookupEnv(name)
		if !ok || s == "" {
			return Value{}, fmt.Errorf("resolve %s: environment variable is unset or empty: %w", ref, fault.ErrNotFound)
		}
		return NewValue(s), nil
	}
	if v, ok := r.cached(ref); ok {
		return v, nil
	}
	ch := r.group.DoChan(ref, func() (any, error) {
		return r.fetch(context.WithoutCancel(ctx), ref, name)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return Value{}, res.Err
		}
		return res.Val.(Value), nil
	case <-ctx.Done():
		return Value{}, fmt.Errorf("resolve %s: %w", ref, ctx.Err())
	}
}

func (r *Resolver) cached(ref string) (Value, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[ref]
	if !ok || !r.now().Before(e.expires) {
		return Value{}, false
	}
	return e.v, true
}

func (r *Resolver) fetch(ctx context.Context, ref, id string) (Value, error) {
	// A caller that arrived while another one's fetch was finishing may find
	// the value already cached; don't fetch it twice.
	if v, ok := r.cached(ref); ok {
		return v, nil
	}
	if r.sm == nil {
		return Value{}, fmt.Errorf("resolve %s: no Secrets Manager client is configured: %w", ref, fault.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, r.fetchTimeout)
	defer cancel()
	out, err := r.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return Value{}, fmt.Errorf("resolve %s: %w: %w", ref, fault.ErrNotFound, err)
		}
		return Value{}, fmt.Errorf("resolve %s: %w", ref, err)
	}
	s := aws.ToString(out.SecretString)
	if s == "" {
		return Value{}, fmt.Errorf("resolve %s: the secret has no SecretString (binary and empty secrets are not supported): %w", ref, fault.ErrNotFound)
	}
	v := NewValue(s)
	r.store(ref, v)
	return v, nil
}

func (r *Resolver) store(ref string, v Value) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if _, ok := r.cache[ref]; !ok && len(r.cache) >= r.maxEntries {
		r.evictLocked(now)
	}
	r.cache[ref] = entry{v: v, expires: now.Add(r.ttl)}
}

// evictLocked drops every expired entry and, if the cache is still full, the
// one closest to expiry (the oldest fetch, since all share one TTL).
func (r *Resolver) evictLocked(now time.Time) {
	oldest := ""
	for k, e := range r.cache {
		if !now.Before(e.expires) {
			delete(r.cache, k)
			continue
		}
		if oldest == "" || e.expires.Before(r.cache[oldest].expires) {
			oldest = k
		}
	}
	if len(r.cache) >= r.maxEntries && oldest != "" {
		delete(r.cache, oldest)
	}
}

// shorten keeps unvalidated input short in error messages.
func shorten(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
