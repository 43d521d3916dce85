package budget

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/fault"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   Budget
		want Budget
	}{
		{
			name: "scope and period are lower-cased and trimmed",
			in:   Budget{Scope: " Team ", ID: "imaging", Period: " DAY", LimitUSD: 5, Thresholds: []float64{90}},
			want: Budget{Scope: Team, ID: "imaging", Period: Day, LimitUSD: 5, Thresholds: []float64{90}},
		},
		{
			name: "no period is a month",
			in:   Budget{Scope: Function, ID: "resize", LimitUSD: 5, Thresholds: []float64{90}},
			want: Budget{Scope: Function, ID: "resize", Period: Month, LimitUSD: 5, Thresholds: []float64{90}},
		},
		{
			name: "the global budget's ID is filled",
			in:   Budget{Scope: "GLOBAL", Period: Month, LimitUSD: 5, Thresholds: []float64{90}},
			want: Budget{Scope: Global, ID: GlobalID, Period: Month, LimitUSD: 5, Thresholds: []float64{90}},
		},
		{
			name: "a global budget's wrong ID is kept for Validate to refuse",
			in:   Budget{Scope: Global, ID: "everything", Period: Month, LimitUSD: 5, Thresholds: []float64{90}},
			want: Budget{Scope: Global, ID: "everything", Period: Month, LimitUSD: 5, Thresholds: []float64{90}},
		},
		{
			name: "no thresholds are the defaults",
			in:   Budget{Scope: Key, ID: "0123456789abcdef", Period: Day, LimitUSD: 5},
			want: Budget{Scope: Key, ID: "0123456789abcdef", Period: Day, LimitUSD: 5, Thresholds: []float64{50, 80, 100}},
		},
		{
			name: "thresholds are sorted",
			in:   Budget{Scope: Team, ID: "imaging", Period: Day, LimitUSD: 5, Thresholds: []float64{100, 25, 75.5}},
			want: Budget{Scope: Team, ID: "imaging", Period: Day, LimitUSD: 5, Thresholds: []float64{25, 75.5, 100}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in
			got.Normalize()
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Normalize mismatch (-want +got):\n%s", d)
			}
		})
	}

	t.Run("the caller's thresholds stay as they were", func(t *testing.T) {
		th := []float64{100, 50}
		b := Budget{Scope: Team, ID: "imaging", LimitUSD: 5, Thresholds: th}
		b.Normalize()
		if th[0] != 100 || th[1] != 50 {
			t.Errorf("caller's slice: got %v, want [100 50]", th)
		}
	})
	t.Run("defaults are a new slice each time", func(t *testing.T) {
		a := Budget{Scope: Team, ID: "a", LimitUSD: 1}
		a.Normalize()
		a.Thresholds[0] = 1
		if got := DefaultThresholds(); got[0] != 50 {
			t.Errorf("DefaultThresholds after a change to a budget's: got %v", got)
		}
	})
}

func TestValidate(t *testing.T) {
	valid := func(mod func(b *Budget)) Budget {
		b := Budget{Scope: Team, ID: "imaging", Period: Month, LimitUSD: 100, Thresholds: []float64{50, 80, 100}}
		mod(&b)
		return b
	}
	tests := []struct {
		name   string
		budget Budget
		fields []string // the violations' fields, in order; none: valid
	}{
		{name: "team", budget: valid(func(b *Budget) {})},
		{name: "function", budget: valid(func(b *Budget) { b.Scope, b.ID = Function, "resize.v2" })},
		{name: "key", budget: valid(func(b *Budget) { b.Scope, b.ID = Key, "0123456789abcdef" })},
		{name: "global", budget: valid(func(b *Budget) { b.Scope, b.ID = Global, GlobalID })},
		{name: "day", budget: valid(func(b *Budget) { b.Period = Day })},
		{name: "the largest limit", budget: valid(func(b *Budget) { b.LimitUSD = MaxLimitUSD })},
		{name: "the smallest limit", budget: valid(func(b *Budget) { b.LimitUSD = 1e-12 })},
		{name: "ten thresholds", budget: valid(func(b *Budget) { b.Thresholds = []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100} })},
		{name: "fractional thresholds", budget: valid(func(b *Budget) { b.Thresholds = []float64{0.5, 33.3} })},
		{name: "no thresholds", budget: valid(func(b *Budget) { b.Thresholds = nil })},

		{name: "unknown scope", budget: valid(func(b *Budget) { b.Scope = "org" }), fields: []string{"scope"}},
		{name: "empty scope", budget: valid(func(b *Budget) { b.Scope = "" }), fields: []string{"scope"}},
		{name: "global with another ID", budget: valid(func(b *Budget) { b.Scope, b.ID = Global, "everything" }), fields: []string{"id"}},
		{name: "key ID too short", budget: valid(func(b *Budget) { b.Scope, b.ID = Key, "0123456789abcde" }), fields: []string{"id"}},
		{name: "key ID in upper case", budget: valid(func(b *Budget) { b.Scope, b.ID = Key, "0123456789ABCDEF" }), fields: []string{"id"}},
		{name: "key ID not hex", budget: valid(func(b *Budget) { b.Scope, b.ID = Key, "0123456789abcdeg" }), fields: []string{"id"}},
		{name: "team name with a slash", budget: valid(func(b *Budget) { b.ID = "a/b" }), fields: []string{"id"}},
		{name: "empty team name", budget: valid(func(b *Budget) { b.ID = "" }), fields: []string{"id"}},
		{name: "function name with a hash", budget: valid(func(b *Budget) { b.Scope, b.ID = Function, "a#b" }), fields: []string{"id"}},
		{name: "function name too long", budget: valid(func(b *Budget) { b.Scope, b.ID = Function, strings.Repeat("f", 65) }), fields: []string{"id"}},
		{name: "week", budget: valid(func(b *Budget) { b.Period = "week" }), fields: []string{"period"}},
		{name: "no period", budget: valid(func(b *Budget) { b.Period = "" }), fields: []string{"period"}},
		{name: "zero limit", budget: valid(func(b *Budget) { b.LimitUSD = 0 }), fields: []string{"limit_usd"}},
		{name: "negative limit", budget: valid(func(b *Budget) { b.LimitUSD = -1 }), fields: []string{"limit_usd"}},
		{name: "NaN limit", budget: valid(func(b *Budget) { b.LimitUSD = math.NaN() }), fields: []string{"limit_usd"}},
		{name: "infinite limit", budget: valid(func(b *Budget) { b.LimitUSD = math.Inf(1) }), fields: []string{"limit_usd"}},
		{name: "limit above the maximum", budget: valid(func(b *Budget) { b.LimitUSD = MaxLimitUSD * 1.000001 }), fields: []string{"limit_usd"}},
		{name: "eleven thresholds", budget: valid(func(b *Budget) { b.Thresholds = []float64{5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100} }), fields: []string{"thresholds"}},
		{name: "zero threshold", budget: valid(func(b *Budget) { b.Thresholds = []float64{0, 50} }), fields: []string{"thresholds[0]"}},
		{name: "threshold above 100", budget: valid(func(b *Budget) { b.Thresholds = []float64{50, 100.5} }), fields: []string{"thresholds[1]"}},
		{name: "NaN threshold", budget: valid(func(b *Budget) { b.Thresholds = []float64{math.NaN()} }), fields: []string{"thresholds[0]"}},
		{name: "duplicate threshold", budget: valid(func(b *Budget) { b.Thresholds = []float64{50, 80, 80} }), fields: []string{"thresholds[2]"}},
		{
			name:   "every problem at once",
			budget: Budget{Scope: "org", Period: "week", LimitUSD: -1, Thresholds: []float64{-5}},
			fields: []string{"scope", "period", "limit_usd", "thresholds[0]"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.budget.Validate()
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate: got %v, want success", err)
				}
				return
			}
			var fe *fault.Error
			if !errors.Is(err, fault.ErrInvalid) || !errors.As(err, &fe) {
				t.Fatalf("Validate: got %v, want a *fault.Error of kind %v", err, fault.ErrInvalid)
			}
			var got []string
			for _, v := range fe.Violations {
				got = append(got, v.Field)
				if v.Reason == "" {
					t.Errorf("violation of %s has no reason", v.Field)
				}
			}
			if d := cmp.Diff(tc.fields, got); d != "" {
				t.Errorf("violated fields mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min, s, ns int) time.Time {
		return time.Date(y, m, d, h, min, s, ns, time.UTC)
	}
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name       string
		period     Period
		at         time.Time
		key        string
		start, end time.Time
	}{
		{"month, mid-month", Month, utc(2026, 11, 26, 13, 5, 0, 0), "2026-11", utc(2026, 11, 1, 0, 0, 0, 0), utc(2026, 12, 1, 0, 0, 0, 0)},
		{"month, its first instant", Month, utc(2026, 11, 1, 0, 0, 0, 0), "2026-11", utc(2026, 11, 1, 0, 0, 0, 0), utc(2026, 12, 1, 0, 0, 0, 0)},
		{"month, its last nanosecond", Month, utc(2026, 11, 30, 23, 59, 59, 999999999), "2026-11", utc(2026, 11, 1, 0, 0, 0, 0), utc(2026, 12, 1, 0, 0, 0, 0)},
		{"December ends in January", Month, utc(2026, 12, 31, 23, 59, 59, 999999999), "2026-12", utc(2026, 12, 1, 0, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0, 0)},
		{"January starts the year", Month, utc(2027, 1, 1, 0, 0, 0, 0), "2027-01", utc(2027, 1, 1, 0, 0, 0, 0), utc(2027, 2, 1, 0, 0, 0, 0)},
		{"February of a leap year", Month, utc(2028, 2, 29, 12, 0, 0, 0), "2028-02", utc(2028, 2, 1, 0, 0, 0, 0), utc(2028, 3, 1, 0, 0, 0, 0)},
		{"day, mid-day", Day, utc(2026, 11, 26, 13, 5, 0, 0), "2026-11-26", utc(2026, 11, 26, 0, 0, 0, 0), utc(2026, 11, 27, 0, 0, 0, 0)},
		{"day, its last nanosecond", Day, utc(2026, 11, 26, 23, 59, 59, 999999999), "2026-11-26", utc(2026, 11, 26, 0, 0, 0, 0), utc(2026, 11, 27, 0, 0, 0, 0)},
		{"day, the next one's first instant", Day, utc(2026, 11, 27, 0, 0, 0, 0), "2026-11-27", utc(2026, 11, 27, 0, 0, 0, 0), utc(2026, 11, 28, 0, 0, 0, 0)},
		{"New Year's Eve", Day, utc(2026, 12, 31, 23, 0, 0, 0), "2026-12-31", utc(2026, 12, 31, 0, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0, 0)},
		{"leap day", Day, utc(2028, 2, 29, 6, 0, 0, 0), "2028-02-29", utc(2028, 2, 29, 0, 0, 0, 0), utc(2028, 3, 1, 0, 0, 0, 0)},
		{"the day before a leap day", Day, utc(2028, 2, 28, 23, 59, 59, 0), "2028-02-28", utc(2028, 2, 28, 0, 0, 0, 0), utc(2028, 2, 29, 0, 0, 0, 0)},
		{"day in another zone is the UTC day", Day, time.Date(2027, 1, 1, 8, 0, 0, 0, tokyo), "2026-12-31", utc(2026, 12, 31, 0, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0, 0)},
		{"month in another zone is the UTC month", Month, time.Date(2027, 1, 1, 8, 0, 0, 0, tokyo), "2026-12", utc(2026, 12, 1, 0, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, start, end := Window(tc.period, tc.at)
			if key != tc.key || !start.Equal(tc.start) || !end.Equal(tc.end) {
				t.Errorf("Window(%s, %s): got %s [%s, %s), want %s [%s, %s)", tc.period, tc.at, key, start, end, tc.key, tc.start, tc.end)
			}
			if start.Location() != time.UTC || end.Location() != time.UTC {
				t.Errorf("Window bounds are not in UTC: %s, %s", start.Location(), end.Location())
			}
		})
	}
}

func TestRefsAndApplicable(t *testing.T) {
	key := Budget{Scope: Key, ID: "0123456789abcdef"}
	otherKey := Budget{Scope: Key, ID: "fedcba9876543210"}
	fn := Budget{Scope: Function, ID: "resize"}
	otherFn := Budget{Scope: Function, ID: "ocr"}
	team := Budget{Scope: Team, ID: "imaging"}
	otherTeam := Budget{Scope: Team, ID: "search"}
	global := Budget{Scope: Global, ID: GlobalID}
	// Deliberately widest first, with budgets of others in between.
	all := []Budget{global, otherTeam, team, otherFn, fn, otherKey, key}
	refs := func(bs []Budget) []Ref {
		var out []Ref
		for _, b := range bs {
			out = append(out, b.Ref())
		}
		return out
	}
	tests := []struct {
		name     string
		subject  Subject
		budgets  []Budget
		wantRefs []Ref
		want     []Ref
	}{
		{
			name:     "key, function, team and global overlap: narrowest first",
			subject:  Subject{Team: "imaging", KeyID: "0123456789abcdef", Function: "resize"},
			budgets:  all,
			wantRefs: []Ref{key.Ref(), fn.Ref(), team.Ref(), global.Ref()},
			want:     []Ref{key.Ref(), fn.Ref(), team.Ref(), global.Ref()},
		},
		{
			name:     "a call without a team",
			subject:  Subject{KeyID: "0123456789abcdef", Function: "resize"},
			budgets:  all,
			wantRefs: []Ref{key.Ref(), fn.Ref(), global.Ref()},
			want:     []Ref{key.Ref(), fn.Ref(), global.Ref()},
		},
		{
			name:     "a call without a key",
			subject:  Subject{Team: "imaging", Function: "resize"},
			budgets:  all,
			wantRefs: []Ref{fn.Ref(), team.Ref(), global.Ref()},
			want:     []Ref{fn.Ref(), team.Ref(), global.Ref()},
		},
		{
			name:     "only some of its budgets exist",
			subject:  Subject{Team: "imaging", KeyID: "0123456789abcdef", Function: "resize"},
			budgets:  []Budget{otherKey, team, otherFn},
			wantRefs: []Ref{key.Ref(), fn.Ref(), team.Ref(), global.Ref()},
			want:     []Ref{team.Ref()},
		},
		{
			name:     "no budget applies",
			subject:  Subject{Team: "ops", KeyID: "aaaaaaaaaaaaaaaa", Function: "thumbnail"},
			budgets:  []Budget{otherKey, otherTeam, otherFn},
			wantRefs: []Ref{{Key, "aaaaaaaaaaaaaaaa"}, {Function, "thumbnail"}, {Team, "ops"}, global.Ref()},
		},
		{
			name:     "a team named like a function is still a team",
			subject:  Subject{Team: "resize", Function: "ocr"},
			budgets:  all,
			wantRefs: []Ref{otherFn.Ref(), {Team, "resize"}, global.Ref()},
			want:     []Ref{otherFn.Ref(), global.Ref()},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.wantRefs, tc.subject.Refs()); d != "" {
				t.Errorf("Refs mismatch (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.want, refs(Applicable(tc.budgets, tc.subject))); d != "" {
				t.Errorf("Applicable mismatch (-want +got):\n%s", d)
			}
		})
	}
	if d := cmp.Diff([]Scope{Key, Function, Team, Global}, Scopes()); d != "" {
		t.Errorf("Scopes mismatch (-want +got):\n%s", d)
	}
}

func TestCrossed(t *testing.T) {
	ref := Ref{Team, "imaging"}
	tests := []struct {
		name          string
		limit         int64
		thresholds    []float64
		before, after int64
		want          []float64
	}{
		{"just below 50%", 1000, []float64{50, 80, 100}, 0, 499, nil},
		{"exactly 50%", 1000, []float64{50, 80, 100}, 499, 500, []float64{50}},
		{"from exactly 50% on", 1000, []float64{50, 80, 100}, 500, 799, nil},
		{"all three in one settlement", 1000, []float64{50, 80, 100}, 0, 1000, []float64{50, 80, 100}},
		{"two of three", 1000, []float64{50, 80, 100}, 499, 999, []float64{50, 80}},
		{"exactly the limit", 1000, []float64{50, 80, 100}, 999, 1000, []float64{100}},
		{"past the limit, from below", 1000, []float64{50, 80, 100}, 900, 1500, []float64{100}},
		{"past the limit, from past it", 1000, []float64{50, 80, 100}, 1000, 1500, nil},
		{"nothing spent", 1000, []float64{50, 80, 100}, 500, 500, nil},
		{"a threshold between two pico-dollars is rounded up", 3, []float64{50}, 1, 2, []float64{50}},
		{"and not crossed below it", 3, []float64{50}, 0, 1, nil},
		{"a fractional threshold", 1000, []float64{33.3}, 332, 333, []float64{33.3}},
		{"100% of the largest limit is the limit", MaxPico, []float64{100}, MaxPico - 1, MaxPico, []float64{100}},
		{"100% of a limit float64 cannot hold", 123456789012345677, []float64{100}, 123456789012345676, 123456789012345677, []float64{100}},
		{"and not a pico-dollar before", 123456789012345677, []float64{100}, 0, 123456789012345676, nil},
		{"80% of a limit float64 cannot hold", 123456789012345677, []float64{80}, 98765431209876541, 98765431209876542, []float64{80}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Charge{Budget: ref, Period: "2026-11", LimitPico: tc.limit, Thresholds: tc.thresholds}
			got := c.Crossed(tc.before, tc.after)
			var thresholds []float64
			for _, x := range got {
				thresholds = append(thresholds, x.Threshold)
				if x.Budget != ref || x.Period != "2026-11" || x.SpentUSD != USD(tc.after) || x.LimitUSD != USD(tc.limit) {
					t.Errorf("crossing %+v: want budget %s, period 2026-11, spent %g, limit %g", x, ref, USD(tc.after), USD(tc.limit))
				}
			}
			if d := cmp.Diff(tc.want, thresholds); d != "" {
				t.Errorf("Crossed(%d, %d) mismatch (-want +got):\n%s", tc.before, tc.after, d)
			}
		})
	}
}

func TestCrossedByConsecutiveSettlements(t *testing.T) {
	// Settlements that follow each other cross each threshold once between
	// them, whatever their sizes.
	c := Charge{Budget: Ref{Global, GlobalID}, Period: "2026-11", LimitPico: 10_007, Thresholds: []float64{10, 50, 80, 99.9, 100}}
	for _, step := range []int64{1, 7, 999, 3_333, 20_000} {
		t.Run(fmt.Sprint(step), func(t *testing.T) {
			seen := map[float64]int{}
			for spent := int64(0); spent < 2*c.LimitPico; spent += step {
				for _, x := range c.Crossed(spent, spent+step) {
					seen[x.Threshold]++
				}
			}
			for _, th := range c.Thresholds {
				if seen[th] != 1 {
					t.Errorf("threshold %g crossed %d times, want 1", th, seen[th])
				}
			}
		})
	}
}

func TestPicoUSD(t *testing.T) {
	tests := []struct {
		usd  float64
		want int64
	}{
		{0, 0},
		{-1, 0},
		{math.NaN(), 0},
		{math.Inf(-1), 0},
		{1e-12, 1},
		{1.5e-12, 2},
		{0.0000166667, 16_666_700},
		{1, 1e12},
		{MaxLimitUSD, MaxPico},
		{1e7, MaxPico},
		{math.Inf(1), MaxPico},
	}
	for _, tc := range tests {
		if got := PicoUSD(tc.usd); got != tc.want {
			t.Errorf("PicoUSD(%g): got %d, want %d", tc.usd, got, tc.want)
		}
	}
}

func TestNewReservation(t *testing.T) {
	at := time.Date(2026, 11, 30, 23, 59, 0, 0, time.FixedZone("CET", 3600)) // 22:59 UTC
	team := Budget{Scope: Team, ID: "imaging", Period: Month, LimitUSD: 100, Thresholds: []float64{50, 100}}
	key := Budget{Scope: Key, ID: "0123456789abcdef", Period: Day, LimitUSD: 2.5, Thresholds: []float64{80}}
	r := NewReservation("call-1", []Budget{key, team}, 0.0000166667, at, 2*time.Minute)
	want := Reservation{
		ID: "call-1",
		Charges: []Charge{
			{Budget: key.Ref(), Period: "2026-11-30", PeriodEnd: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), LimitPico: 2_500_000_000_000, Thresholds: []float64{80}},
			{Budget: team.Ref(), Period: "2026-11", PeriodEnd: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), LimitPico: 100_000_000_000_000, Thresholds: []float64{50, 100}},
		},
		AmountPico: 16_666_700,
		CreatedAt:  time.Date(2026, 11, 30, 22, 59, 0, 0, time.UTC),
		ExpiresAt:  time.Date(2026, 11, 30, 23, 1, 0, 0, time.UTC),
	}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("NewReservation mismatch (-want +got):\n%s", d)
	}
	for _, usd := range []float64{0, -1, math.NaN()} {
		if got := NewReservation("call-2", []Budget{team}, usd, at, time.Minute).AmountPico; got != 1 {
			t.Errorf("NewReservation of $%g: amount %d pico-dollars, want 1", usd, got)
		}
	}
}

func TestExceededError(t *testing.T) {
	e := &ExceededError{
		Budget: Ref{Team, "imaging"}, Period: "2026-11", PeriodEnd: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		LimitUSD: 100, SpentUSD: 99.5, ReservedUSD: 0.25, AmountUSD: 0.5,
	}
	err := fmt.Errorf("reserve for call-1: %w", e)
	if !errors.Is(err, ErrExceeded) {
		t.Errorf("errors.Is(%v, ErrExceeded) = false, want true", err)
	}
	var got *ExceededError
	if !errors.As(err, &got) || got != e {
		t.Errorf("errors.As: got %v, want the *ExceededError", got)
	}
	for _, part := range []string{"team/imaging", "2026-11", "limit $100.000000", "spent $99.500000", "in flight $0.250000", "$0.500000000", "2026-12-01T00:00:00Z"} {
		if !strings.Contains(e.Error(), part) {
			t.Errorf("message %q does not contain %q", e.Error(), part)
		}
	}
}

func TestAlertOf(t *testing.T) {
	c := Crossing{Budget: Ref{Team, "imaging"}, Period: "2026-11", Threshold: 80, SpentUSD: 80.5, LimitUSD: 100}
	at := time.Date(2026, 11, 26, 14, 0, 0, 0, time.FixedZone("CET", 3600))
	got := AlertOf(c, at)
	want := Alert{ID: "team/imaging/2026-11/80", Budget: c.Budget, Period: "2026-11", Threshold: 80, SpentUSD: 80.5, LimitUSD: 100, At: time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("AlertOf mismatch (-want +got):\n%s", d)
	}
	if later := AlertOf(Crossing{Budget: c.Budget, Period: c.Period, Threshold: 80, SpentUSD: 99}, at.Add(time.Hour)); later.ID != got.ID {
		t.Errorf("the same crossing later: ID %q, want %q", later.ID, got.ID)
	}
	if frac := AlertOf(Crossing{Budget: c.Budget, Period: c.Period, Threshold: 33.3}, at); frac.ID != "team/imaging/2026-11/33.3" {
		t.Errorf("fractional threshold: ID %q, want team/imaging/2026-11/33.3", frac.ID)
	}
}

func TestThresholdPicoIsExact(t *testing.T) {
	// The integer fast path and the exact rational agree, rounding up.
	exact := func(limit int64, pct float64) int64 {
		x := new(big.Rat).Mul(new(big.Rat).SetFloat64(pct), new(big.Rat).SetInt64(limit))
		x.Quo(x, big.NewRat(100, 1))
		q, r := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
		if r.Sign() > 0 {
			q.Add(q, big.NewInt(1))
		}
		return q.Int64()
	}
	for _, limit := range []int64{1, 3, 99, 100, 101, 1_000_003, 123456789012345677, MaxPico, math.MaxInt64} {
		for _, pct := range []float64{1, 33, 33.3, 50, 80, 99, 99.99, 100} {
			if got, want := thresholdPico(limit, pct), exact(limit, pct); got != want {
				t.Errorf("thresholdPico(%d, %g): got %d, want %d", limit, pct, got, want)
			}
		}
	}
}
