package invocation

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/fiso-dev/fiso/shared/fault"
)

// Caller tags are free-form labels a caller attaches to a call (env=prod,
// app=checkout) so that its cost can be attributed to them. Every tag of a
// call becomes a cost aggregate, so both their number and their shape are
// bounded: what a tag may be is what a store can use as a key as it is.
const (
	// MaxTags is how many tags one call may carry.
	MaxTags = 10
	// MaxTagKey and MaxTagValue are the lengths of a tag's key and value.
	MaxTagKey   = 32
	MaxTagValue = 64
)

var (
	tagKeyRE   = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,31}$`)
	tagValueRE = regexp.MustCompile(`^[A-Za-z0-9_.:/@+-]{1,64}$`)
)

// TagProblem says what is wrong with one tag, or "" when nothing is.
func TagProblem(key, value string) string {
	switch {
	case key == "":
		return "the key is empty"
	case !tagKeyRE.MatchString(key):
		return fmt.Sprintf("the key must be a lower-case letter followed by at most %d of a-z, 0-9, _ . -", MaxTagKey-1)
	case value == "":
		return "the value is empty"
	case !tagValueRE.MatchString(value):
		return fmt.Sprintf("the value must be 1 to %d of A-Z, a-z, 0-9, _ . : / @ + -", MaxTagValue)
	}
	return ""
}

// CheckTags rejects tags a store cannot count: more than MaxTags, or one
// with a TagProblem. Records made from a parsed header always pass.
func CheckTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return fault.Invalid("tags", "at most %d tags, got %d", MaxTags, len(tags))
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if p := TagProblem(k, tags[k]); p != "" {
			return fault.Invalid("tags", "tag %s: %s", quoteTag(k+"="+tags[k]), p)
		}
	}
	return nil
}

// ParseTags reads a tags header: comma-separated key=value items, with
// white space around an item ignored, at most MaxTags of them and each key
// at most once. An empty (or blank) header is no tags: nil, nil. The error
// names the tag at fault and is safe to show to the caller.
func ParseTags(header string) (map[string]string, error) {
	if strings.TrimSpace(header) == "" {
		return nil, nil
	}
	// Counted before anything is parsed, so that a huge header costs no
	// more than a scan.
	if n := strings.Count(header, ",") + 1; n > MaxTags {
		return nil, fmt.Errorf("at most %d tags, got %d comma-separated items", MaxTags, n)
	}
	tags := make(map[string]string)
	for i, item := range strings.Split(header, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("tag %d is empty: separate key=value tags with single commas, with none at either end", i+1)
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("tag %d %s: must be key=value", i+1, quoteTag(item))
		}
		if p := TagProblem(k, v); p != "" {
			return nil, fmt.Errorf("tag %d %s: %s", i+1, quoteTag(item), p)
		}
		if _, dup := tags[k]; dup {
			return nil, fmt.Errorf("tag %d %s: key %q is given more than once", i+1, quoteTag(item), k)
		}
		tags[k] = v
	}
	return tags, nil
}

// FormatTags is the header form of tags, ordered by key: ParseTags reads it
// back as it was.
func FormatTags(tags map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(tags)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + tags[k])
	}
	return b.String()
}

// quoteTag quotes what the caller sent, cut short: an error echoes enough to
// find the tag, not a whole oversized header.
func quoteTag(s string) string {
	const most = MaxTagKey + 1 + MaxTagValue
	if len(s) > most {
		return fmt.Sprintf("%q...", s[:most])
	}
	return fmt.Sprintf("%q", s)
}
