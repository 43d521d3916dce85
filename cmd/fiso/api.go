package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// apiClient calls FISO's API with an API key.
type apiClient struct {
	client *http.Client
	base   string
	key    string
}

func newAPIClient(base, key string) apiClient {
	return apiClient{client: http.DefaultClient, base: strings.TrimRight(base, "/"), key: key}
}

// call sends one request to FISO's API and returns the answer whatever its
// status; only a failure to talk to FISO is an error.
func (r apiClient) call(ctx context.Context, method, path string, body any, header http.Header) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("call FISO at %s: %w", r.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read FISO's answer to %s %s: %w", method, path, err)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// problemError turns an RFC 9457 answer into an error carrying its title and
// detail (which lists every invalid field).
func problemError(status int, body []byte) error {
	var p struct{ Title, Detail string }
	_ = json.Unmarshal(body, &p)
	msg := fmt.Sprintf("HTTP %d %s", status, cmp.Or(p.Title, http.StatusText(status)))
	if p.Detail != "" {
		msg += ": " + p.Detail
	}
	return errors.New(msg)
}

// do sends one request and returns the body of a 2xx answer; any other
// answer is an error with the problem's title and detail.
func (r apiClient) do(ctx context.Context, method, path string, body any, header http.Header) ([]byte, error) {
	status, _, b, err := r.call(ctx, method, path, body, header)
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return nil, problemError(status, b)
	}
	return b, nil
}

// apiGet calls a FISO GET route and returns the body of a 2xx answer; a
// problem answer becomes an error with its detail.
func apiGet(ctx context.Context, base, path, key string) ([]byte, error) {
	return newAPIClient(base, key).do(ctx, http.MethodGet, path, nil, nil)
}
