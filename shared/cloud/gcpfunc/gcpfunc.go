// Package gcpfunc invokes Google Cloud Functions (gen2, that is Cloud Run
// functions) for FISO. A private function admits a caller that presents a
// Google-signed ID token whose audience is the function's URL, so an
// invocation is a POST with "Authorization: Bearer <ID token>", the token
// minted from the service-account key that the deployment's credential_ref
// names. Tokens live an hour; minting one costs a round trip to Google's
// token endpoint, so token sources are kept per credential and audience.
// The meaning of the answer's status is shared with Azure in package
// httpcall.
package gcpfunc

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
	"google.golang.org/api/idtoken"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/cloud/httpcall"
	"github.com/fiso-dev/fiso/shared/orchestrator"
	"github.com/fiso-dev/fiso/shared/secret"
)

// Defaults for the token sources the Client keeps.
const (
	// DefaultMaxTokenSources bounds the cache: one entry per (credential,
	// function URL) pair, far more than a catalog has.
	DefaultMaxTokenSources = 256
	// DefaultTokenTimeout bounds one exchange with the token endpoint. It
	// runs on behalf of every caller waiting for that token, so it cannot use
	// any one caller's deadline; each caller stops waiting at its own.
	DefaultTokenTimeout = 10 * time.Second
)

// SecretSource resolves a deployment's credential_ref to a service-account
// JSON key; *secret.Resolver satisfies it.
type SecretSource interface {
	Resolve(ctx context.Context, ref string) (secret.Value, error)
}

var _ SecretSource = (*secret.Resolver)(nil)

// Client invokes Google Cloud Functions deployments.
type Client struct {
	secrets      SecretSource
	call         *httpcall.Caller
	tokenHTTP    *http.Client
	maxSources   int
	tokenTimeout time.Duration

	fetches singleflight.Group
	mu      sync.Mutex
	sources map[sourceKey]*list.Element // of *tokenSource
	lru     *list.List                  // front: most recently used
}

var _ orchestrator.Invoker = (*Client)(nil)

type sourceKey struct{ ref, audience string }

type tokenSource struct {
	key sourceKey
	// keyID identifies the service-account key the source was built from,
	// so that a rotated key (same reference, new secret) gets a new source.
	keyID [sha256.Size]byte
	ts    oauth2.TokenSource
}

type options struct {
	maxResponse  int64
	maxSources   int
	tokenTimeout time.Duration
}

// Option configures a Client.
type Option func(*options)

// WithMaxResponseBytes caps the function's answer (cloud.MaxResponseBytes by
// default); a longer answer fails the attempt as cloud.TooLarge.
func WithMaxResponseBytes(n int64) Option { return func(o *options) { o.maxResponse = n } }

// WithMaxTokenSources bounds the token-source cache (DefaultMaxTokenSources);
// the least recently used source is dropped first.
func WithMaxTokenSources(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxSources = n
		}
	}
}

// WithTokenTimeout bounds one exchange with the token endpoint
// (DefaultTokenTimeout).
func WithTokenTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.tokenTimeout = d
		}
	}
}

// New returns a Client that sends through httpClient (http.DefaultClient when
// nil; redirects are never followed), token exchanges included, and resolves
// service-account keys via secrets.
func New(httpClient *http.Client, secrets SecretSource, opts ...Option) *Client {
	o := options{maxResponse: cloud.MaxResponseBytes, maxSources: DefaultMaxTokenSources, tokenTimeout: DefaultTokenTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	tokenHTTP := *httpClient
	tokenHTTP.Timeout = o.tokenTimeout
	return &Client{
		secrets: secrets,
		call: httpcall.New(httpClient, o.maxResponse,
			"check the target URL and that the service account behind credential_ref may invoke it (roles/run.invoker)"),
		tokenHTTP:    &tokenHTTP,
		maxSources:   o.maxSources,
		tokenTimeout: o.tokenTimeout,
		sources:      map[sourceKey]*list.Element{},
		lru:          list.New(),
	}
}

// Invoke POSTs payload to d.Target. With a credential_ref it first obtains an
// ID token for the target (its audience: see Audience) from
// the service-account key the reference names, and sends it as a bearer
// token; without one it calls anonymously, as for a local functions framework
// or a function with a public invoker.
//
// Failing to obtain the token is cloud.Credentials, whether the key cannot be
// resolved or parsed, or the token endpoint refuses the key or cannot be
// reached: the attempt fails for want of its credential, before the function
// is called, and Unreachable is kept for the function itself. Only when the
// attempt's deadline passes while waiting is it cloud.Timeout. The answer's
// status is classified by httpcall.Classify.
func (c *Client) Invoke(ctx context.Context, d catalog.Deployment, payload []byte) (cloud.Response, error) {
	header := http.Header{}
	if d.CredentialRef != "" {
		token, err := c.idToken(ctx, d.CredentialRef, Audience(d.Target))
		if err != nil {
			return cloud.Response{}, err
		}
		header.Set("Authorization", "Bearer "+token)
	}
	return c.call.Post(ctx, d.Target, payload, header)
}

// Audience is the aud an ID token for target must carry: the target URL
// without query or fragment, except on a *.run.app host, where it is the
// service's origin. Cloud Run checks aud against its service URL (which has
// no path), while a function reached through cloudfunctions.net is checked
// against the full function URL, path included.
func Audience(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	if strings.HasSuffix(u.Hostname(), ".run.app") {
		return u.Scheme + "://" + u.Host
	}
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	return u.String()
}

func (c *Client) idToken(ctx context.Context, ref, aud string) (string, error) {
	what := "obtain an ID token for " + httpcall.Redact(aud) + " with " + ref
	if c.secrets == nil {
		return "", &cloud.Error{Kind: cloud.Credentials, Detail: what + ": no secret source is configured"}
	}
	key, err := c.secrets.Resolve(ctx, ref)
	if err != nil {
		return "", credentialsError(ctx, what, err)
	}
	src, err := c.source(ref, aud, key)
	if err != nil {
		return "", credentialsError(ctx, what, err)
	}
	ch := c.fetches.DoChan(string(src.keyID[:])+"\x00"+aud, func() (any, error) {
		tok, err := src.ts.Token()
		if err != nil {
			return nil, fmt.Errorf("token endpoint: %w", err)
		}
		if tok.AccessToken == "" {
			return nil, errors.New("token endpoint: the answer has no id_token")
		}
		return tok.AccessToken, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return "", credentialsError(ctx, what, res.Err)
		}
		return res.Val.(string), nil
	case <-ctx.Done():
		return "", cloud.Classify(ctx.Err(), what)
	}
}

// source returns the cached token source for (ref, aud), building one when
// there is none or the key behind ref has changed. Building happens outside
// the lock: with the older auth path (GOOGLE_API_GO_EXPERIMENTAL_DISABLE_NEW_AUTH_LIB)
// it already fetches a token.
func (c *Client) source(ref, aud string, key secret.Value) (*tokenSource, error) {
	k := sourceKey{ref, aud}
	keyID := sha256.Sum256([]byte(key.Reveal()))
	if src := c.cached(k, keyID); src != nil {
		return src, nil
	}
	if err := checkServiceAccount(key); err != nil {
		return nil, err
	}
	// The source keeps this context for every later exchange: it must not be
	// the caller's (it would expire with the first attempt), and it carries
	// the HTTP client the exchanges use.
	tctx := context.WithValue(context.Background(), oauth2.HTTPClient, c.tokenHTTP)
	ts, err := idtoken.NewTokenSource(tctx, aud, idtoken.WithAuthCredentialsJSON(idtoken.ServiceAccount, []byte(key.Reveal())))
	if err != nil {
		return nil, fmt.Errorf("build a token source from the service-account key: %w", errors.New(firstLine(err.Error())))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.sources[k]; ok {
		if src := el.Value.(*tokenSource); src.keyID == keyID {
			return src, nil // built concurrently by another caller
		}
		c.lru.Remove(el)
	}
	src := &tokenSource{key: k, keyID: keyID, ts: ts}
	c.sources[k] = c.lru.PushFront(src)
	for c.lru.Len() > c.maxSources {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.sources, oldest.Value.(*tokenSource).key)
	}
	return src, nil
}

func (c *Client) cached(k sourceKey, keyID [sha256.Size]byte) *tokenSource {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.sources[k]
	if !ok || el.Value.(*tokenSource).keyID != keyID {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*tokenSource)
}

// checkServiceAccount validates a key taken from a secret store before the
// auth library acts on it: it must be a service-account key, and its token
// endpoint, which will receive assertions signed with the key, must be https
// (or loopback, for tests and local clouds). Errors never quote the key.
func checkServiceAccount(key secret.Value) error {
	var sa struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
		TokenURI    string `json:"token_uri"`
	}
	if err := json.Unmarshal([]byte(key.Reveal()), &sa); err != nil {
		return errors.New("the secret is not a service-account JSON key")
	}
	switch {
	case sa.Type != "service_account":
		return fmt.Errorf("the secret is a %q credential, not a service-account key", sa.Type)
	case sa.ClientEmail == "" || sa.PrivateKey == "":
		return errors.New("the service-account key lacks client_email or private_key")
	case sa.TokenURI == "":
		return nil // the library uses Google's endpoint
	}
	u, err := url.Parse(sa.TokenURI)
	if err != nil || !(u.Scheme == "https" || (u.Scheme == "http" && catalog.IsLoopback(u.Hostname()))) {
		return errors.New("the service-account key's token_uri must be an https URL")
	}
	return nil
}

// credentialsError reports a token that could not be obtained: Timeout if the
// attempt's deadline passed meanwhile, else Credentials. The causes here are
// the resolver's (which name references only), the token endpoint's answer or
// transport error (which carry no secrets: the assertion is in the request
// body, and a failed exchange returns no token), or this package's own.
func credentialsError(ctx context.Context, what string, err error) *cloud.Error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return cloud.Classify(fmt.Errorf("%w (%w)", err, ctxErr), what)
	}
	msg := httpcall.Excerpt("text/plain", []byte(err.Error()), httpcall.DetailBytes)
	return &cloud.Error{Kind: cloud.Credentials, Detail: what + ": " + msg, Err: err}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
