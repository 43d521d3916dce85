package testenv

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// motoHTTP is the HTTP client of AWSConfig: it sends requests to moto one
// at a time and others straight on. moto applies a request in several
// unlocked Python steps (a failed transaction even restores a copy of the
// tables taken before it, undoing what other requests wrote meanwhile), so
// concurrent requests can interleave inside one conditional write, which
// DynamoDB never allows. Serial requests restore DynamoDB's per-request
// atomicity across every client of the test binary; goroutines still
// interleave between requests, which is the concurrency the code under
// test must handle. A request waiting for its turn gives up when its
// context ends, as one waiting on the network would.
type motoHTTP struct {
	next *awshttp.BuildableClient
	turn chan struct{}
}

// motoClient is shared by every AWSConfig, so that the requests of all the
// clients of a test binary take turns.
var motoClient = &motoHTTP{next: awshttp.NewBuildableClient(), turn: make(chan struct{}, 1)}

// motoHost is the host:port of the moto server Moto handed out.
var motoHost atomic.Pointer[string]

func (c *motoHTTP) Do(req *http.Request) (*http.Response, error) {
	if !isMoto(req.URL) {
		return c.next.Do(req)
	}
	select {
	case c.turn <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	defer func() { <-c.turn }()
	resp, err := c.next.Do(req)
	if err != nil {
		return nil, err
	}
	// The turn ends once the whole answer is read.
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func isMoto(u *url.URL) bool {
	h := motoHost.Load()
	return h != nil && *h == u.Host
}
