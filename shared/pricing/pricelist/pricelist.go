// Package pricelist is what the three price-list fetchers share: a bounded
// GET with errors that never repeat a secret-bearing URL, reading saved
// responses (one page or an array of pages), and the last step of making a
// card.
package pricelist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/pricing"
)

// snippetBytes is how much of a refused response's body a StatusError keeps.
const snippetBytes = 512

// Client is c, or when c is nil a client with the given timeout.
func Client(c *http.Client, timeout time.Duration) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: timeout}
}

// Get sends GET rawURL with Accept: application/json through client and
// returns the body of a 200 OK response, refusing one of more than maxBytes
// (which must be positive).
//
// Errors name shown, never rawURL: a caller whose URL carries a secret (an
// API key in the query) passes the URL without it. No error embeds rawURL
// the way *url.Error does: only its cause is kept. A response other than
// 200 OK is a *StatusError; the body it quotes is the server's, so a caller
// whose server may echo a secret scrubs StatusError.Body itself.
func Get(ctx context.Context, client *http.Client, rawURL, shown string, header http.Header, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("GET %s: no positive body size bound (%d)", shown, maxBytes)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", shown, cause(err))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", shown, cause(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, snippetBytes))
		return nil, &StatusError{URL: shown, Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), Body: strings.TrimSpace(string(snippet))}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body of %s: %w", shown, err)
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("GET %s: body is larger than %d bytes", shown, maxBytes)
	}
	return body, nil
}

// cause is err without the *url.Error around it, which repeats the URL it
// was given: for a secret-bearing URL, the secret.
func cause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// StatusError is a response other than 200 OK (the price APIs throttle
// bursts with 429). URL is the URL as shown, never one carrying a secret.
type StatusError struct {
	URL        string
	Status     int
	RetryAfter string // the Retry-After header, if any (429, 503)
	Body       string // the start of the body
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.RetryAfter != "" {
		msg += " (Retry-After " + e.RetryAfter + ")"
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// AddMeter puts one meter's price on c with its monthly free grant (when
// grantUnits > 0), and moves c's effective date to the latest of its
// prices'.
func AddMeter(c *pricing.Card, price pricing.Price, grantUnits float64, effective time.Time) {
	c.Prices = append(c.Prices, price)
	if grantUnits > 0 {
		c.FreeGrants = append(c.FreeGrants, pricing.Grant{Meter: price.Meter, Units: grantUnits})
	}
	if effective.After(c.EffectiveDate) {
		c.EffectiveDate = effective
	}
}

// FinishWithGrants is Finish for a card whose list named no free grant:
// it takes the plan's documented grants.
func FinishWithGrants(c *pricing.Card) error {
	if len(c.FreeGrants) == 0 {
		c.FreeGrants = pricing.FreeGrantsOf(c.Plan)
	}
	return Finish(c)
}

// Finish versions a finished card and holds it to the model's rules, so that
// no card a fetcher returns would be rejected downstream. Its error names
// the card's key.
func Finish(c *pricing.Card) error {
	c.Seal()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("card %s: validate: %w", c.KeyOf(), err)
	}
	return nil
}

// DecodeOne decodes exactly one JSON document from r into v: data after it
// is an error, as a truncated or concatenated response would be.
func DecodeOne(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode page: %w", err)
	}
	if dec.More() {
		return errors.New("decode page: data after the JSON document")
	}
	return nil
}

// Pages reads a saved price-list response: one page, or a JSON array of the
// pages of one query, each read by decode. It reports whether the body was
// an array; the errors of an array's pages say which page ("page 2: ...").
func Pages[P any](body []byte, decode func(io.Reader) (P, error)) (pages []P, array bool, err error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		p, err := decode(bytes.NewReader(body))
		if err != nil {
			return nil, false, err
		}
		return []P{p}, false, nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, true, fmt.Errorf("decode pages: %w", err)
	}
	for i, raw := range raws {
		p, err := decode(bytes.NewReader(raw))
		if err != nil {
			return nil, true, fmt.Errorf("page %d: %w", i+1, err)
		}
		pages = append(pages, p)
	}
	return pages, true, nil
}
