package localcloud

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
)

// AzureHost is an http.Handler standing in for the Azure Functions host in
// front of a custom handler with enableForwardingHttpRequest: it checks the
// function key like an authLevel "function" HTTP trigger and forwards the
// request, path and all, to the custom handler.
//
// The key is accepted from the x-functions-key header or the code query
// parameter, as the host accepts it, and compared in constant time. A wrong or
// missing key gets what the host answers: 401 with an empty body. Unlike the
// real host, AzureHost removes the key from the request before forwarding it,
// so no handler run locally can come to depend on seeing it.
type AzureHost struct {
	keyHash [sha256.Size]byte
	next    http.Handler
}

// NewAzureHost returns a host that admits requests bearing key and forwards
// them to next (for the sample: sample.AzureHandler()).
func NewAzureHost(key string, next http.Handler) (*AzureHost, error) {
	if key == "" {
		return nil, errors.New("new Azure host: the function key is empty; an authLevel function trigger always has one")
	}
	if next == nil {
		return nil, errors.New("new Azure host: no custom handler to forward to")
	}
	return &AzureHost{keyHash: sha256.Sum256([]byte(key)), next: next}, nil
}

// ServeHTTP checks the key and forwards.
func (h *AzureHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	presented := r.Header.Get("x-functions-key")
	if presented == "" {
		presented = r.URL.Query().Get("code")
	}
	// Hashing first makes the comparison independent of the keys' lengths.
	got := sha256.Sum256([]byte(presented))
	if presented == "" || subtle.ConstantTimeCompare(got[:], h.keyHash[:]) != 1 {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	fwd := r.Clone(r.Context())
	fwd.Header.Del("x-functions-key")
	if q := fwd.URL.Query(); q.Has("code") {
		q.Del("code")
		fwd.URL.RawQuery = q.Encode()
		fwd.RequestURI = fwd.URL.RequestURI()
	}
	h.next.ServeHTTP(w, fwd)
}
