// Package httpcall is the one place that decides what an HTTP answer from a
// function platform means for FISO. Azure Functions and Google Cloud
// Functions are both "POST JSON to an HTTPS URL with a credential header";
// they must agree on which statuses are the function's own answer (2xx and
// most 4xx, which the caller should see) and which are a failed attempt
// (rejected key or URL, throttling, 5xx), or the router would retry one cloud
// for what it hands back from the other.
package httpcall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
)

// DetailBytes bounds the excerpt of a failing function's body kept in
// cloud.Error.Detail: enough for an error message, short enough for a log line.
const DetailBytes = 256

// Caller posts payloads to function URLs and classifies the answers.
type Caller struct {
	client *http.Client
	limit  int64
	hint   string
}

// New returns a Caller that sends through client and reads at most limit
// bytes of a response (cloud.MaxResponseBytes when limit < 1). hint is
// appended to the Detail of a Rejected error, to say what to check on this
// platform ("the function key behind credential_ref ...").
//
// The Caller never follows redirects: a redirect would re-send the payload
// and, for custom headers such as x-functions-key, the credential to wherever
// the Location points. A 3xx is reported as Rejected instead.
func New(client *http.Client, limit int64, hint string) *Caller {
	if client == nil {
		client = http.DefaultClient
	}
	if limit < 1 {
		limit = cloud.MaxResponseBytes
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Caller{client: &c, limit: limit, hint: hint}
}

// Limit is the response cap in bytes.
func (c *Caller) Limit() int64 { return c.limit }

// Post sends payload (an empty payload is sent as "{}", the same empty event
// every cloud receives) to target with Content-Type application/json and the
// given extra header, and classifies the answer with Classify.
//
// Whenever the platform answered, the returned Response carries its status,
// content type and (capped) body, even alongside an error: callers that
// record attempts can keep the status of a failed one.
func (c *Caller) Post(ctx context.Context, target string, payload []byte, header http.Header) (cloud.Response, error) {
	what := "POST " + Redact(target)
	if err := checkTarget(target); err != nil {
		return cloud.Response{}, &cloud.Error{Kind: cloud.Rejected, Detail: what + ": " + err.Error(), Err: err}
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return cloud.Response{}, &cloud.Error{Kind: cloud.Rejected, Detail: what + ": the target is not a valid URL", Err: err}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := c.client.Do(req)
	if err != nil {
		return cloud.Response{}, transportError(ctx, err, what)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.limit+1))
	if err != nil {
		return cloud.Response{}, transportError(ctx, fmt.Errorf("read the answer: %w", err), what)
	}
	out := cloud.Response{
		Body:        body,
		ContentType: resp.Header.Get("Content-Type"),
		StatusCode:  resp.StatusCode,
	}
	tooLarge := int64(len(body)) > c.limit
	if tooLarge {
		out.Body = body[:c.limit]
	}
	if cerr := Classify(resp.StatusCode, out.ContentType, out.Body, what); cerr != nil {
		// The excerpt of a failing function's answer goes to logs and
		// records; a function that echoes its request headers must not
		// carry FISO's credential there.
		cerr.Detail = scrub(cerr.Detail, header)
		if cerr.Kind == cloud.Rejected && c.hint != "" {
			cerr.Detail += "; " + c.hint
		}
		return out, cerr
	}
	if tooLarge {
		out.Body = nil // a truncated answer must not be mistaken for the answer
		return out, &cloud.Error{
			Kind:       cloud.TooLarge,
			StatusCode: resp.StatusCode,
			Detail:     fmt.Sprintf("%s: the answer exceeds the %d-byte cap", what, c.limit),
		}
	}
	return out, nil
}

// Classify maps a platform's HTTP status to FISO's verdict: nil when the
// answer is the function's own (2xx, and 4xx other than those below: a 400 or
// 422 is the function telling its caller something), otherwise
//
//	3xx           Rejected: redirects are not followed; fix the target URL
//	401, 403, 404 Rejected: FISO's credential or URL is wrong
//	408           Timeout
//	429           Throttled
//	502, 503, 504 Unavailable: the platform's front end could not reach the
//	              function (counts against its circuit breaker)
//	other 5xx (and any status outside 1xx-5xx) FunctionError, with an excerpt of
//	              the body when it is text
//
// what names the call ("POST https://host/path") for the Detail.
func Classify(status int, contentType string, body []byte, what string) *cloud.Error {
	e := &cloud.Error{StatusCode: status}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status >= 300 && status < 400:
		e.Kind, e.Detail = cloud.Rejected, fmt.Sprintf("%s: redirected (HTTP %d); FISO does not follow redirects, so the target URL must be the function's final URL", what, status)
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		e.Kind, e.Detail = cloud.Rejected, fmt.Sprintf("%s: the platform refused FISO's credential (HTTP %d)", what, status)
	case status == http.StatusNotFound:
		e.Kind, e.Detail = cloud.Rejected, what+": no function at this URL (HTTP 404)"
	case status == http.StatusRequestTimeout:
		e.Kind, e.Detail = cloud.Timeout, what+": the platform timed the request out (HTTP 408)"
	case status == http.StatusTooManyRequests:
		e.Kind, e.Detail = cloud.Throttled, what+": throttled (HTTP 429)"
	case status >= 400 && status < 500:
		return nil
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		e.Kind, e.Detail = cloud.Unavailable, fmt.Sprintf("%s: the platform could not reach the function (HTTP %d)", what, status)
	default:
		e.Kind, e.Detail = cloud.FunctionError, fmt.Sprintf("%s: the function failed (HTTP %d)", what, status)
	}
	if status >= 500 {
		if ex := Excerpt(contentType, body, DetailBytes); ex != "" {
			e.Detail += ": " + ex
		}
	}
	return e
}

// Excerpt returns at most max bytes of body, cut at a character boundary,
// with runs of whitespace folded so it fits a log line; "" when the body is
// not text (by its Content-Type, or by not being UTF-8).
func Excerpt(contentType string, body []byte, max int) string {
	if len(body) == 0 || !isText(contentType) {
		return ""
	}
	cut := body
	if len(cut) > max {
		cut = cut[:max]
		for len(cut) > 0 && !utf8.Valid(cut) {
			cut = cut[:len(cut)-1]
		}
	}
	if !utf8.Valid(cut) {
		return ""
	}
	s := strings.Join(strings.Fields(string(cut)), " ")
	if len(cut) < len(body) {
		s += "…"
	}
	return s
}

func isText(contentType string) bool {
	if contentType == "" {
		return true // judged by UTF-8 validity alone
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || strings.HasSuffix(mt, "+xml")
}

// Redact returns target without query, fragment or user info, for messages.
func Redact(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return "the target URL"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// checkTarget refuses to send a credential anywhere the catalog would not
// have accepted: plain http is for loopback only.
func checkTarget(target string) error {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return errors.New("the target is not an absolute URL")
	}
	switch {
	case u.User != nil:
		return errors.New("the target URL must not carry credentials")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && catalog.IsLoopback(u.Hostname()):
		return nil
	}
	return errors.New("the target must use https (plain http only for loopback hosts)")
}

// transportError classifies a failed exchange. The transport's message names
// the URL, so the *url.Error's URL is redacted first; and when the attempt's
// deadline has passed the error is made to say so even if the transport
// reported it as a plain cancellation.
func transportError(ctx context.Context, err error, what string) *cloud.Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = Redact(ue.URL)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%w)", err, ctxErr)
	}
	return cloud.Classify(err, what)
}

// jwtRE matches a JSON Web Token (an ID or access token) anywhere in text.
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

// scrub removes from text every value of the request's extra headers (the
// function key) and anything shaped like a bearer token (the ID token the
// authenticated transport added, which this package never sees).
func scrub(text string, header http.Header) string {
	for _, vs := range header {
		for _, v := range vs {
			if len(v) >= 8 {
				text = strings.ReplaceAll(text, v, "[redacted]")
			}
		}
	}
	return jwtRE.ReplaceAllString(text, "[redacted]")
}
