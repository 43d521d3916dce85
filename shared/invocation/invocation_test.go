package invocation

import (
	"encoding/base64"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/fault"
)

func TestCursorRoundTrip(t *testing.T) {
	p := Position{Function: "sample", Time: time.Date(2026, 11, 26, 9, 0, 0, 123456789, time.UTC), ID: "01JDX7Y6R5T4Q3P2N1M0K9J8H7"}
	got, err := DecodeCursor(EncodeCursor(p))
	if err != nil {
		t.Fatal(err)
	}
	if got.Function != p.Function || !got.Time.Equal(p.Time) || got.ID != p.ID {
		t.Errorf("round trip = %+v, want %+v", got, p)
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, c := range map[string]string{
		"not base64":    "!!!",
		"not json":      b64("hello"),
		"no function":   b64(`{"t":"2026-01-01T00:00:00Z","i":"A"}`),
		"bad function":  b64(`{"f":"a b","t":"2026-01-01T00:00:00Z","i":"A"}`),
		"no time":       b64(`{"f":"x","i":"A"}`),
		"separator id":  b64(`{"f":"x","t":"2026-01-01T00:00:00Z","i":"A#B"}`),
		"huge":          string(make([]byte, 2000)),
		"padded base64": base64.URLEncoding.EncodeToString([]byte(`{"f":"x","t":"2026-01-01T00:00:00Z","i":"A"}`)),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeCursor(c); !errors.Is(err, fault.ErrInvalid) {
				t.Errorf("DecodeCursor = %v, want ErrInvalid", err)
			}
		})
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(Position{Function: "f", Time: time.Unix(1, 0), ID: "A"}))
	f.Add("")
	f.Add("eyJmIjoieCJ9")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := DecodeCursor(s)
		if err != nil {
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		// Whatever decodes must encode and decode to the same position.
		q, err := DecodeCursor(EncodeCursor(p))
		if err != nil || q.Function != p.Function || !q.Time.Equal(p.Time) || q.ID != p.ID {
			t.Fatalf("re-encoding %+v gave %+v, %v", p, q, err)
		}
	})
}

func TestSortKeysOrderByTimeThenID(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ps := []Position{
		{Time: base.Add(time.Nanosecond), ID: "A"},
		{Time: base, ID: "B"},
		{Time: base.Add(time.Hour), ID: "A"},
		{Time: base, ID: "A"},
		{Time: base.In(time.FixedZone("x", 3600)).Add(-time.Minute), ID: "Z"},
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.SortKey()
	}
	sort.Strings(keys)
	want := []string{
		ps[4].SortKey(), ps[3].SortKey(), ps[1].SortKey(), ps[0].SortKey(), ps[2].SortKey(),
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Fatalf("sorted keys %v, want %v", keys, want)
		}
	}
}

func TestWeekdayStartsOnMonday(t *testing.T) {
	for day, want := range map[int]int{23: 0, 24: 1, 28: 5, 29: 6} { // 23 Nov 2026 is a Monday
		if got := Weekday(time.Date(2026, 11, day, 12, 0, 0, 0, time.UTC)); got != want {
			t.Errorf("Weekday(Nov %d) = %d, want %d", day, got, want)
		}
	}
}
