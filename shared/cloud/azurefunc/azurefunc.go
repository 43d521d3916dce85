// Package azurefunc invokes Azure Functions HTTP triggers for FISO. Azure has
// no invoke API of its own: a function is an HTTPS URL guarded by a function
// key, so an invocation is a POST with the key in x-functions-key (never in
// ?code=, which ends up in access logs). The meaning of the answer's status
// is shared with Google Cloud Functions in package httpcall.
package azurefunc

import (
	"context"
	"net/http"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/cloud/httpcall"
	"github.com/fiso-dev/fiso/shared/orchestrator"
	"github.com/fiso-dev/fiso/shared/secret"
)

// KeyHeader is the header the Functions host reads the function key from.
const KeyHeader = "x-functions-key"

// SecretSource resolves a deployment's credential_ref to its function key;
// *secret.Resolver satisfies it.
type SecretSource interface {
	Resolve(ctx context.Context, ref string) (secret.Value, error)
}

var _ SecretSource = (*secret.Resolver)(nil)

// Client invokes Azure Functions deployments.
type Client struct {
	secrets SecretSource
	call    *httpcall.Caller
}

var _ orchestrator.Invoker = (*Client)(nil)

type options struct{ maxResponse int64 }

// Option configures a Client.
type Option func(*options)

// WithMaxResponseBytes caps the function's answer (cloud.MaxResponseBytes by
// default); a longer answer fails the attempt as cloud.TooLarge.
func WithMaxResponseBytes(n int64) Option { return func(o *options) { o.maxResponse = n } }

// New returns a Client that sends through httpClient (http.DefaultClient when
// nil; redirects are never followed) and resolves function keys via secrets.
func New(httpClient *http.Client, secrets SecretSource, opts ...Option) *Client {
	o := options{maxResponse: cloud.MaxResponseBytes}
	for _, opt := range opts {
		opt(&o)
	}
	return &Client{
		secrets: secrets,
		call: httpcall.New(httpClient, o.maxResponse,
			"check the target URL and that the function key behind credential_ref is current"),
	}
}

// Invoke POSTs payload to d.Target, with the function key named by
// d.CredentialRef in x-functions-key when the deployment has one (functions
// with authLevel anonymous need none). 2xx and 4xx answers other than
// 401/403/404/408/429 are returned as the function's answer; see
// httpcall.Classify for the rest. A key that cannot be resolved fails the
// attempt as cloud.Credentials without calling Azure.
func (c *Client) Invoke(ctx context.Context, d catalog.Deployment, payload []byte) (cloud.Response, error) {
	header := http.Header{}
	if d.CredentialRef != "" {
		if c.secrets == nil {
			return cloud.Response{}, &cloud.Error{Kind: cloud.Credentials, Detail: "resolve " + d.CredentialRef + ": no secret source is configured"}
		}
		key, err := c.secrets.Resolve(ctx, d.CredentialRef)
		if err != nil {
			return cloud.Response{}, credentialsError(ctx, d.CredentialRef, err)
		}
		header.Set(KeyHeader, key.Reveal())
	}
	return c.call.Post(ctx, d.Target, payload, header)
}

// credentialsError reports a key that could not be resolved. The resolver's
// errors name the reference, never the value, so its message is safe; an
// attempt whose deadline passed while waiting is a Timeout like any other.
func credentialsError(ctx context.Context, ref string, err error) *cloud.Error {
	if ctx.Err() != nil {
		return cloud.Classify(err, "resolve "+ref)
	}
	return &cloud.Error{Kind: cloud.Credentials, Detail: err.Error(), Err: err}
}
