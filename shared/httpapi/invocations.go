package httpapi

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
)

// DefaultListWindow is how far back GET /v1/invocations looks without since.
const DefaultListWindow = 24 * time.Hour

// MaxUnfilteredWindow bounds a listing across every function and key: the
// DynamoDB store reads such a listing day by day.
const MaxUnfilteredWindow = 31 * 24 * time.Hour

var (
	invocationIDRE = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)
	keyIDRE        = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// parseWindow reads the since and until query parameters (RFC 3339) over
// their defaults, and checks that since comes first.
func parseWindow(q url.Values, vs *fault.Violations, since, until *time.Time) {
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", since}, {"until", until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				vs.Add(p.name, "must be an RFC 3339 time such as 2026-11-26T09:00:00Z")
				continue
			}
			*p.dst = t.UTC()
		}
	}
	if !since.Before(*until) {
		vs.Add("since", "must be before until")
	}
}

// parseListQuery turns GET /v1/invocations' query string into a store query.
// Invoker keys only ever see their own calls.
func parseListQuery(r *http.Request, k apikey.Key, now time.Time) (invocation.Query, error) {
	q := r.URL.Query()
	var vs fault.Violations
	out := invocation.Query{Limit: invocation.DefaultLimit, Until: now.Add(time.Second), Since: now.Add(-DefaultListWindow)}
	for name := range q {
		switch name {
		case "function", "since", "until", "limit", "cursor", "key_id":
		default:
			vs.Add(name, "unknown query parameter; use function, since, until, limit, cursor or key_id")
		}
	}
	if f := q.Get("function"); f != "" {
		if msg := catalog.NameProblem("function", f); msg != "" {
			vs.Add("function", "%s", msg)
		}
		out.Function = f
	}
	parseWindow(q, &vs, &out.Since, &out.Until)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > invocation.MaxLimit {
			vs.Add("limit", "must be an integer from 1 to %d", invocation.MaxLimit)
		}
		out.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		pos, err := invocation.DecodeCursor(v)
		if err != nil {
			vs.Add("cursor", "not a cursor returned by this API; start the listing again without it")
		} else {
			out.After = &pos
		}
	}
	if v := q.Get("key_id"); v != "" {
		if !keyIDRE.MatchString(v) {
			vs.Add("key_id", "must be a key ID (16 hex digits)")
		}
		out.KeyID = v
	}
	if k.Role == apikey.Admin && out.Function == "" && out.KeyID == "" && out.Until.Sub(out.Since) > MaxUnfilteredWindow {
		vs.Add("since", "a listing of every function spans at most 31 days; narrow since/until or filter by function or key_id")
	}
	if err := vs.Err(); err != nil {
		return invocation.Query{}, err
	}
	if k.Role != apikey.Admin {
		if out.KeyID != "" && out.KeyID != k.ID {
			return invocation.Query{}, fault.Forbidden("invoker keys can list only their own invocations; leave key_id out")
		}
		out.KeyID = k.ID
	}
	return out, nil
}

type invocationPage struct {
	Items      []invocation.Record `json:"items"`
	NextCursor string              `json:"next_cursor,omitempty"`
}

func (s *Server) listInvocations(w http.ResponseWriter, r *http.Request) error {
	q, err := parseListQuery(r, caller(r.Context()), s.opts.Now())
	if err != nil {
		return err
	}
	page, err := s.store.ListInvocations(r.Context(), q)
	if err != nil {
		return err
	}
	out := invocationPage{Items: nonNil(page.Items)}
	if page.Next != nil {
		out.NextCursor = invocation.EncodeCursor(*page.Next)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getInvocation(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !invocationIDRE.MatchString(id) {
		return fault.Invalid("id", "%q is not an invocation ID (26 characters, as in the X-Fiso-Invocation-Id header)", id)
	}
	rec, err := s.store.GetInvocation(r.Context(), id)
	if err != nil {
		return err
	}
	if k := caller(r.Context()); k.Role != apikey.Admin && rec.KeyID != k.ID {
		// Another key's call: as far as this key can tell, it does not exist.
		return fault.NotFound("invocation %s does not exist", id)
	}
	return writeJSON(w, http.StatusOK, rec)
}
