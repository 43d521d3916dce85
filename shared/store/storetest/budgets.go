package storetest

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// Budgets of the suite: an API key, a function, a team and the global one,
// all of which apply to a call of subject.
const (
	suiteKeyID    = "0123456789abcdef"
	otherKeyID    = "fedcba9876543210"
	callAmount    = 16_666_700 // pico-dollars: a 1 GB-second Lambda call
	budgetTTL     = 2 * time.Minute
	sweepLater    = time.Hour
	picoPerDollar = 1e12
)

var subject = budget.Subject{Team: "imaging", KeyID: suiteKeyID, Function: "resize"}

func newBudget(scope budget.Scope, id string, period budget.Period, limitUSD float64) budget.Budget {
	b := budget.Budget{Scope: scope, ID: id, Period: period, LimitUSD: limitUSD, UpdatedAt: Now().Add(-time.Hour)}
	b.Normalize()
	return b
}

func putBudget(t *testing.T, s store.Store, b budget.Budget) budget.Budget {
	t.Helper()
	got, _, err := s.PutBudget(t.Context(), b, store.AnyVersion)
	if err != nil {
		t.Fatalf("PutBudget(%s): %v", b.Ref(), err)
	}
	return got
}

// reservation holds amount pico-dollars of call id, made at at.
func reservation(id string, budgets []budget.Budget, amount int64, at time.Time) budget.Reservation {
	r := budget.NewReservation(id, budgets, 0, at, budgetTTL)
	r.AmountPico = amount
	return r
}

func reserve(t *testing.T, s store.Store, r budget.Reservation) {
	t.Helper()
	if err := s.Reserve(t.Context(), r); err != nil {
		t.Fatalf("Reserve(%s): %v", r.ID, err)
	}
}

func settle(t *testing.T, s store.Store, r budget.Reservation, actual int64) []budget.Crossing {
	t.Helper()
	cs, err := s.Settle(t.Context(), r, actual)
	if err != nil {
		t.Fatalf("Settle(%s): %v", r.ID, err)
	}
	return cs
}

// counts is a budget period's counter as Usage shows it.
type counts struct{ spent, committed int64 }

// checkUsage checks b's counter in its period containing at.
func checkUsage(t *testing.T, s store.Store, b budget.Budget, at time.Time, want counts) {
	t.Helper()
	us, err := s.BudgetUsage(t.Context(), []budget.Budget{b}, at)
	if err != nil {
		t.Fatalf("BudgetUsage(%s): %v", b.Ref(), err)
	}
	if len(us) != 1 {
		t.Fatalf("BudgetUsage(%s): got %d usages, want 1", b.Ref(), len(us))
	}
	diff(t, fmt.Sprintf("usage of %s at %s", b.Ref(), at.Format(time.RFC3339)), store.UsageOf(b, at, want.spent, want.committed), us[0])
}

// checkExceeded checks that err refuses amount on b's period containing at,
// whose counter stood at was.
func checkExceeded(t *testing.T, op string, err error, b budget.Budget, at time.Time, amount int64, was counts) {
	t.Helper()
	var ee *budget.ExceededError
	if !errors.As(err, &ee) || !errors.Is(err, budget.ErrExceeded) {
		t.Fatalf("%s: got error %v, want a *budget.ExceededError", op, err)
	}
	period, _, end := budget.Window(b.Period, at)
	want := &budget.ExceededError{
		Budget: b.Ref(), Period: period, PeriodEnd: end, LimitUSD: budget.USD(budget.LimitPico(b.LimitUSD)),
		SpentUSD: budget.USD(was.spent), ReservedUSD: budget.USD(was.committed - was.spent), AmountUSD: budget.USD(amount),
	}
	diff(t, op+": refusal", want, ee)
}

func testBudgets(t *testing.T, open opener) {
	t.Run("definitions, versions and listing", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		team := newBudget(budget.Team, "imaging", budget.Month, 250)
		team.Thresholds = []float64{25, 50, 99.5}
		got, created, err := s.PutBudget(ctx, team, store.AnyVersion)
		checkErr(t, "PutBudget new", err, nil)
		want := team
		want.Version, want.CreatedAt = 1, team.UpdatedAt
		if !created {
			t.Errorf("PutBudget new: created = false, want true")
		}
		diff(t, "PutBudget new", want, got)

		team.LimitUSD, team.Period, team.UpdatedAt = 300, budget.Day, Now()
		got, created, err = s.PutBudget(ctx, team, 1)
		checkErr(t, "PutBudget with the stored version", err, nil)
		want = team
		want.Version, want.CreatedAt = 2, Now().Add(-time.Hour)
		if created {
			t.Errorf("PutBudget replacing: created = true, want false")
		}
		diff(t, "PutBudget replacing", want, got)
		stored, err := s.GetBudget(ctx, team.Ref())
		checkErr(t, "GetBudget", err, nil)
		diff(t, "GetBudget", want, stored)

		_, _, err = s.PutBudget(ctx, team, 1)
		checkErr(t, "PutBudget with a stale version", err, fault.ErrConflict)
		_, _, err = s.PutBudget(ctx, newBudget(budget.Team, "search", budget.Month, 1), 3)
		checkErr(t, "PutBudget of a new budget with a version", err, fault.ErrConflict)
		_, err = s.GetBudget(ctx, budget.Ref{Scope: budget.Team, ID: "search"})
		checkErr(t, "GetBudget after a refused create", err, fault.ErrNotFound)
		_, _, err = s.PutBudget(ctx, budget.Budget{Scope: budget.Team, Period: budget.Month, LimitUSD: 1}, store.AnyVersion)
		checkErr(t, "PutBudget without an ID", err, fault.ErrInvalid)

		for _, b := range []budget.Budget{
			newBudget(budget.Global, "", budget.Month, 10_000),
			newBudget(budget.Key, suiteKeyID, budget.Day, 5),
			newBudget(budget.Function, "resize", budget.Month, 100),
			newBudget(budget.Team, "search", budget.Month, 50),
			newBudget(budget.Function, "ocr", budget.Day, 20),
		} {
			putBudget(t, s, b)
		}
		all, err := s.ListBudgets(ctx)
		checkErr(t, "ListBudgets", err, nil)
		diff(t, "ListBudgets, by scope then ID",
			[]string{"function/ocr", "function/resize", "global/all", "key/" + suiteKeyID, "team/imaging", "team/search"},
			names(all, func(b budget.Budget) string { return b.Ref().String() }))
		diff(t, "listed team/imaging", want, all[4])

		err = s.DeleteBudget(ctx, team.Ref(), 1)
		checkErr(t, "DeleteBudget with a stale version", err, fault.ErrConflict)
		checkErr(t, "DeleteBudget", s.DeleteBudget(ctx, team.Ref(), 2), nil)
		_, err = s.GetBudget(ctx, team.Ref())
		checkErr(t, "GetBudget after DeleteBudget", err, fault.ErrNotFound)
		checkErr(t, "DeleteBudget again", s.DeleteBudget(ctx, team.Ref(), store.AnyVersion), fault.ErrNotFound)
		checkErr(t, "DeleteBudget any version", s.DeleteBudget(ctx, budget.Ref{Scope: budget.Global, ID: budget.GlobalID}, store.AnyVersion), nil)
		got, created, err = s.PutBudget(ctx, team, store.AnyVersion)
		checkErr(t, "PutBudget after DeleteBudget", err, nil)
		if !created || got.Version != 1 {
			t.Errorf("PutBudget after DeleteBudget: created %t version %d, want true, 1", created, got.Version)
		}
	})

	t.Run("reserve and settle", func(t *testing.T) {
		s := open(t)
		team := putBudget(t, s, newBudget(budget.Team, "imaging", budget.Month, 1))
		bs := []budget.Budget{team}
		checkUsage(t, s, team, Now(), counts{})

		r1 := reservation("call-1", bs, 300e9, Now())
		reserve(t, s, r1)
		checkUsage(t, s, team, Now(), counts{0, 300e9})
		r2 := reservation("call-2", bs, 400e9, Now())
		reserve(t, s, r2)
		checkUsage(t, s, team, Now(), counts{0, 700e9})

		if cs := settle(t, s, r1, 250e9); len(cs) != 0 {
			t.Errorf("settling $0.25 of $1: crossings %+v, want none", cs)
		}
		checkUsage(t, s, team, Now(), counts{250e9, 650e9})
		// More than reserved: spent passes 50% and 80% at once.
		cs := settle(t, s, r2, 600e9)
		period, _, _ := budget.Window(budget.Month, Now())
		diff(t, "crossings of the second settlement", []budget.Crossing{
			{Budget: team.Ref(), Period: period, Threshold: 50, SpentUSD: 0.85, LimitUSD: 1},
			{Budget: team.Ref(), Period: period, Threshold: 80, SpentUSD: 0.85, LimitUSD: 1},
		}, cs)
		checkUsage(t, s, team, Now(), counts{850e9, 850e9})

		r3 := reservation("call-3", bs, 100e9, Now())
		reserve(t, s, r3)
		// Less than reserved: the rest is released.
		diff(t, "crossings of the third settlement", []budget.Crossing(nil), settle(t, s, r3, 10e9))
		checkUsage(t, s, team, Now(), counts{860e9, 860e9})
		// Nothing spent at all.
		r4 := reservation("call-4", bs, 100e9, Now())
		reserve(t, s, r4)
		settle(t, s, r4, 0)
		checkUsage(t, s, team, Now(), counts{860e9, 860e9})
	})

	t.Run("the limit is inclusive", func(t *testing.T) {
		s := open(t)
		fn := putBudget(t, s, newBudget(budget.Function, "resize", budget.Month, 1))
		bs := []budget.Budget{fn}

		err := s.Reserve(t.Context(), reservation("too-big", bs, 1e12+1, Now()))
		checkExceeded(t, "Reserve of more than the whole limit", err, fn, Now(), 1e12+1, counts{})
		checkUsage(t, s, fn, Now(), counts{})

		all := reservation("all", bs, 1e12, Now())
		reserve(t, s, all)
		checkUsage(t, s, fn, Now(), counts{0, 1e12})
		err = s.Reserve(t.Context(), reservation("one-more", bs, 1, Now()))
		checkExceeded(t, "Reserve of one pico-dollar past the limit", err, fn, Now(), 1, counts{0, 1e12})

		settle(t, s, all, 600e9)
		err = s.Reserve(t.Context(), reservation("rest-and-one", bs, 400e9+1, Now()))
		checkExceeded(t, "Reserve of the rest and one pico-dollar", err, fn, Now(), 400e9+1, counts{600e9, 600e9})
		rest := reservation("rest", bs, 400e9, Now())
		reserve(t, s, rest)
		checkUsage(t, s, fn, Now(), counts{600e9, 1e12})
		// Actual costs may take spend past the limit; nothing more is let in.
		settle(t, s, rest, 500e9)
		checkUsage(t, s, fn, Now(), counts{1100e9, 1100e9})
		err = s.Reserve(t.Context(), reservation("after", bs, 1, Now()))
		checkExceeded(t, "Reserve past the limit", err, fn, Now(), 1, counts{1100e9, 1100e9})
	})

	t.Run("all or none across overlapping budgets", func(t *testing.T) {
		s := open(t)
		key := putBudget(t, s, newBudget(budget.Key, suiteKeyID, budget.Day, 1))
		fn := putBudget(t, s, newBudget(budget.Function, "resize", budget.Month, 2))
		team := putBudget(t, s, newBudget(budget.Team, "imaging", budget.Month, 3))
		global := putBudget(t, s, newBudget(budget.Global, "", budget.Month, 10))
		putBudget(t, s, newBudget(budget.Key, otherKeyID, budget.Day, 5))
		all, err := s.ListBudgets(t.Context())
		checkErr(t, "ListBudgets", err, nil)
		mine := budget.Applicable(all, subject)
		diff(t, "budgets of the call", []string{key.Ref().String(), fn.Ref().String(), team.Ref().String(), global.Ref().String()},
			names(mine, func(b budget.Budget) string { return b.Ref().String() }))

		// Another key fills 1.5 of the function's 2 dollars.
		other := budget.Applicable(all, budget.Subject{Team: "imaging", KeyID: otherKeyID, Function: "resize"})
		settle(t, s, reserveOK(t, s, reservation("other", other, 1500e9, Now())), 1500e9)
		before := map[budget.Ref]counts{key.Ref(): {}, fn.Ref(): {1500e9, 1500e9}, team.Ref(): {1500e9, 1500e9}, global.Ref(): {1500e9, 1500e9}}

		// The key could take 0.8, the function cannot: nothing is charged.
		err = s.Reserve(t.Context(), reservation("refused", mine, 800e9, Now()))
		checkExceeded(t, "Reserve the function cannot take", err, fn, Now(), 800e9, before[fn.Ref()])
		for _, b := range mine {
			checkUsage(t, s, b, Now(), before[b.Ref()])
		}

		// 0.5 fits everywhere: every budget is charged.
		r := reserveOK(t, s, reservation("fits", mine, 500e9, Now()))
		for _, b := range mine {
			c := before[b.Ref()]
			checkUsage(t, s, b, Now(), counts{c.spent, c.committed + 500e9})
		}
		settle(t, s, r, 500e9)
		after := map[budget.Ref]counts{key.Ref(): {500e9, 500e9}, fn.Ref(): {2e12, 2e12}, team.Ref(): {2e12, 2e12}, global.Ref(): {2e12, 2e12}}

		// Key and function are both too full for 0.6: the narrowest is named.
		err = s.Reserve(t.Context(), reservation("two-full", mine, 600e9, Now()))
		checkExceeded(t, "Reserve two budgets refuse", err, key, Now(), 600e9, after[key.Ref()])
		// Only the global one is too full: the others are left as they were.
		tight := putBudget(t, s, newBudget(budget.Global, "", budget.Month, 2.25))
		r = reserveOK(t, s, reservation("fits-key", mine[:1], 100e9, Now())) // key only: the others stay
		err = s.Reserve(t.Context(), reservation("global-full", []budget.Budget{key, team, tight}, 300e9, Now()))
		checkExceeded(t, "Reserve the global budget refuses", err, tight, Now(), 300e9, after[global.Ref()])
		checkUsage(t, s, key, Now(), counts{500e9, 600e9})
		checkUsage(t, s, team, Now(), after[team.Ref()])
		settle(t, s, r, 100e9)
		checkUsage(t, s, key, Now(), counts{600e9, 600e9})
	})

	t.Run("period rollover", func(t *testing.T) {
		s := open(t)
		key := putBudget(t, s, newBudget(budget.Key, suiteKeyID, budget.Day, 1))
		team := putBudget(t, s, newBudget(budget.Team, "imaging", budget.Month, 1))
		bs := []budget.Budget{key, team}

		lastOfMarch := time.Date(2031, time.March, 31, 23, 59, 59, 999999999, time.UTC)
		firstOfApril := lastOfMarch.Add(time.Nanosecond)
		late := reserveOK(t, s, reservation("late", bs, 1e12, lastOfMarch))
		checkUsage(t, s, key, lastOfMarch, counts{0, 1e12})
		checkUsage(t, s, team, lastOfMarch, counts{0, 1e12})
		// A new day and month start from nothing, without a reset.
		checkUsage(t, s, key, firstOfApril, counts{})
		checkUsage(t, s, team, firstOfApril, counts{})
		early := reserveOK(t, s, reservation("early", bs, 1e12, firstOfApril))
		err := s.Reserve(t.Context(), reservation("late-2", bs, 1, lastOfMarch))
		checkExceeded(t, "Reserve in the full period", err, key, lastOfMarch, 1, counts{0, 1e12})

		// Settled after the boundary, a reservation counts in its own period.
		cs := settle(t, s, late, 1e12)
		if len(cs) != 6 || cs[0].Period != "2031-03-31" || cs[5].Period != "2031-03" {
			t.Errorf("crossings of the settlement after the boundary: got %+v, want 50/80/100%% of 2031-03-31 and of 2031-03", cs)
		}
		checkUsage(t, s, key, lastOfMarch, counts{1e12, 1e12})
		checkUsage(t, s, team, lastOfMarch, counts{1e12, 1e12})
		checkUsage(t, s, key, firstOfApril, counts{0, 1e12})
		checkUsage(t, s, team, firstOfApril, counts{0, 1e12})
		settle(t, s, early, 200e9)
		checkUsage(t, s, key, firstOfApril, counts{200e9, 200e9})
		checkUsage(t, s, team, firstOfApril, counts{200e9, 200e9})

		// December into January.
		newYearsEve := time.Date(2031, time.December, 31, 23, 0, 0, 0, time.UTC)
		newYear := time.Date(2032, time.January, 1, 0, 0, 0, 0, time.UTC)
		settle(t, s, reserveOK(t, s, reservation("nye", []budget.Budget{team}, 1e12, newYearsEve)), 1e12)
		checkUsage(t, s, team, newYearsEve, counts{1e12, 1e12})
		checkUsage(t, s, team, newYear, counts{})
		reserveOK(t, s, reservation("ny", []budget.Budget{team}, 1e12, newYear))

		// A budget moved from months to days counts from the day on.
		team.Period = budget.Day
		team = putBudget(t, s, team)
		checkUsage(t, s, team, firstOfApril, counts{})
	})

	t.Run("settling twice changes nothing", func(t *testing.T) {
		s := open(t)
		fn := putBudget(t, s, newBudget(budget.Function, "resize", budget.Day, 2))
		r := reserveOK(t, s, reservation("call", []budget.Budget{fn}, 600e9, Now()))
		if cs := settle(t, s, r, 1200e9); len(cs) != 1 || cs[0].Threshold != 50 {
			t.Errorf("first settlement: crossings %+v, want the 50%% one", cs)
		}
		if cs := settle(t, s, r, 1900e9); len(cs) != 0 {
			t.Errorf("second settlement: crossings %+v, want none", cs)
		}
		checkUsage(t, s, fn, Now(), counts{1200e9, 1200e9})

		// Reserving twice holds once.
		r2 := reserveOK(t, s, reservation("call-2", []budget.Budget{fn}, 100e9, Now()))
		checkErr(t, "Reserve of a held reservation", s.Reserve(t.Context(), r2), fault.ErrConflict)
		checkUsage(t, s, fn, Now(), counts{1200e9, 1300e9})
	})

	t.Run("sweep releases expired reservations once", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		key := putBudget(t, s, newBudget(budget.Key, suiteKeyID, budget.Day, 1))
		team := putBudget(t, s, newBudget(budget.Team, "imaging", budget.Day, 1))
		bs := []budget.Budget{key, team}
		soon := reserveOK(t, s, reservation("soon", bs, 100e9, Now())) // expires at Now()+budgetTTL
		soon2 := reserveOK(t, s, reservation("soon-2", bs[1:], 200e9, Now()))
		later := reservation("later", bs, 300e9, Now())
		later.ExpiresAt = Now().Add(10 * budgetTTL)
		reserveOK(t, s, later)
		checkUsage(t, s, team, Now(), counts{0, 600e9})

		for _, at := range []time.Time{Now(), soon.ExpiresAt} {
			n, err := s.SweepReservations(ctx, at)
			checkErr(t, "SweepReservations before anything expired", err, nil)
			if n != 0 {
				t.Errorf("SweepReservations(%s): swept %d, want 0 (none expired before)", at.Format(time.RFC3339Nano), n)
			}
		}
		n, err := s.SweepReservations(ctx, soon.ExpiresAt.Add(time.Nanosecond))
		checkErr(t, "SweepReservations", err, nil)
		if n != 2 {
			t.Errorf("SweepReservations: swept %d, want 2", n)
		}
		checkUsage(t, s, key, Now(), counts{0, 300e9})
		checkUsage(t, s, team, Now(), counts{0, 300e9})
		n, err = s.SweepReservations(ctx, soon.ExpiresAt.Add(time.Minute))
		checkErr(t, "SweepReservations again", err, nil)
		if n != 0 {
			t.Errorf("SweepReservations again: swept %d, want 0", n)
		}
		// A call that settles after its reservation was swept changes nothing.
		if cs := settle(t, s, soon2, 900e9); len(cs) != 0 {
			t.Errorf("settling a swept reservation: crossings %+v, want none", cs)
		}
		checkUsage(t, s, team, Now(), counts{0, 300e9})
		settle(t, s, later, 300e9)
		checkUsage(t, s, key, Now(), counts{300e9, 300e9})
		checkUsage(t, s, team, Now(), counts{300e9, 300e9})

		// Sweepers racing: each reservation is released by one of them.
		const held = 12
		for i := range held {
			reserveOK(t, s, reservation(fmt.Sprintf("crashed-%02d", i), bs, 10e9, Now()))
		}
		checkUsage(t, s, team, Now(), counts{300e9, 300e9 + held*10e9})
		swept := make([]int, 4)
		errs := make([]error, len(swept))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range swept {
			wg.Go(func() {
				<-start
				swept[i], errs[i] = s.SweepReservations(ctx, Now().Add(sweepLater))
			})
		}
		close(start)
		wg.Wait()
		total := 0
		for i := range swept {
			checkErr(t, "racing SweepReservations", errs[i], nil)
			total += swept[i]
		}
		if total != held {
			t.Errorf("racing sweepers swept %d reservations between them (%v), want %d", total, swept, held)
		}
		checkUsage(t, s, key, Now(), counts{300e9, 300e9})
		checkUsage(t, s, team, Now(), counts{300e9, 300e9})
	})

	t.Run("usage", func(t *testing.T) {
		s := open(t)
		key := putBudget(t, s, newBudget(budget.Key, suiteKeyID, budget.Day, 2))
		team := putBudget(t, s, newBudget(budget.Team, "imaging", budget.Month, 1))
		idle := putBudget(t, s, newBudget(budget.Function, "ocr", budget.Month, 3))
		r := reserveOK(t, s, reservation("call", []budget.Budget{key, team}, 700e9, Now()))
		settle(t, s, r, 1200e9)
		reserveOK(t, s, reservation("held", []budget.Budget{key}, 500e9, Now()))
		got, err := s.BudgetUsage(t.Context(), []budget.Budget{team, idle, key}, Now())
		checkErr(t, "BudgetUsage", err, nil)
		day, dayStart, dayEnd := budget.Window(budget.Day, Now())
		month, monthStart, monthEnd := budget.Window(budget.Month, Now())
		diff(t, "BudgetUsage, in the order asked", []budget.Usage{
			{Budget: team, Period: month, PeriodStart: monthStart, PeriodEnd: monthEnd, SpentUSD: 1.2, ReservedUSD: 0, RemainingUSD: 0},
			{Budget: idle, Period: month, PeriodStart: monthStart, PeriodEnd: monthEnd, RemainingUSD: 3},
			{Budget: key, Period: day, PeriodStart: dayStart, PeriodEnd: dayEnd, SpentUSD: 1.2, ReservedUSD: 0.5, RemainingUSD: budget.USD(300e9)},
		}, got)
		none, err := s.BudgetUsage(t.Context(), nil, Now())
		checkErr(t, "BudgetUsage of nothing", err, nil)
		if len(none) != 0 {
			t.Errorf("BudgetUsage of nothing: got %+v", none)
		}
	})

	t.Run("invalid reservations", func(t *testing.T) {
		s := open(t)
		fn := putBudget(t, s, newBudget(budget.Function, "resize", budget.Day, 1))
		ok := reservation("call", []budget.Budget{fn}, 1, Now())
		for _, tc := range []struct {
			name string
			mod  func(r *budget.Reservation)
		}{
			{"no ID", func(r *budget.Reservation) { r.ID = "" }},
			{"negative amount", func(r *budget.Reservation) { r.AmountPico = -1 }},
			{"amount past any limit", func(r *budget.Reservation) { r.AmountPico = budget.MaxPico + 1 }},
			{"no expiry", func(r *budget.Reservation) { r.ExpiresAt = time.Time{} }},
			{"a charge without a period", func(r *budget.Reservation) { r.Charges[0].Period = "" }},
			{"a charge without a limit", func(r *budget.Reservation) { r.Charges[0].LimitPico = 0 }},
			{"one budget charged twice", func(r *budget.Reservation) { r.Charges = append(r.Charges, r.Charges[0]) }},
		} {
			r := ok
			r.Charges = append([]budget.Charge(nil), ok.Charges...)
			tc.mod(&r)
			checkErr(t, "Reserve with "+tc.name, s.Reserve(t.Context(), r), fault.ErrInvalid)
		}
		checkUsage(t, s, fn, Now(), counts{})
		reserveOK(t, s, ok)
		_, err := s.Settle(t.Context(), ok, -1)
		checkErr(t, "Settle of a negative cost", err, fault.ErrInvalid)
		checkUsage(t, s, fn, Now(), counts{0, 1})
		// No budget applies: nothing to hold.
		checkErr(t, "Reserve of no charge", s.Reserve(t.Context(), reservation("free", nil, 5, Now())), nil)
		cs, err := s.Settle(t.Context(), reservation("free", nil, 5, Now()), 5)
		checkErr(t, "Settle of no charge", err, nil)
		if len(cs) != 0 {
			t.Errorf("Settle of no charge: crossings %+v", cs)
		}
	})

	t.Run("alerts", func(t *testing.T) { testAlerts(t, open) })
	t.Run("concurrent calls hold the limit", func(t *testing.T) {
		t.Run("actual cost as reserved", func(t *testing.T) { testBudgetRace(t, open, callAmount) })
		t.Run("actual cost above reserved", func(t *testing.T) { testBudgetRace(t, open, callAmount+callAmount/200) })
	})
}

func reserveOK(t *testing.T, s store.Store, r budget.Reservation) budget.Reservation {
	t.Helper()
	reserve(t, s, r)
	return r
}

func testAlerts(t *testing.T, open opener) {
	s := open(t)
	ctx := t.Context()
	alert := func(ref budget.Ref, period string, threshold float64, at time.Time) budget.Alert {
		return budget.AlertOf(budget.Crossing{Budget: ref, Period: period, Threshold: threshold, SpentUSD: threshold / 100 * 3, LimitUSD: 3}, at)
	}
	team := budget.Ref{Scope: budget.Team, ID: "imaging"}
	key := budget.Ref{Scope: budget.Key, ID: suiteKeyID}
	old := alert(team, "2031-02", 100, Now().Add(-30*24*time.Hour))
	a50 := alert(team, "2031-03", 50, Now().Add(-3*time.Hour))
	a80 := alert(team, "2031-03", 80, Now().Add(-2*time.Hour))
	k50 := alert(key, "2031-03-14", 50, Now().Add(-2*time.Hour)) // same instant as a80: after it by ID, so listed before
	a100 := alert(team, "2031-03", 100, Now().Add(-time.Hour))
	for _, a := range []budget.Alert{a80, old, a100, k50, a50} {
		first, err := s.PutAlert(ctx, a)
		checkErr(t, "PutAlert "+a.ID, err, nil)
		if !first {
			t.Errorf("PutAlert %s: first = false, want true", a.ID)
		}
	}
	// The same crossing found again later is not recorded again.
	again := alert(team, "2031-03", 80, Now())
	again.SpentUSD = 2.9
	first, err := s.PutAlert(ctx, again)
	checkErr(t, "PutAlert again", err, nil)
	if first {
		t.Errorf("PutAlert of a recorded alert: first = true, want false")
	}

	// Twenty settlements crossing the same threshold at once: one sends it.
	var wg sync.WaitGroup
	firsts := make([]bool, 20)
	errs := make([]error, len(firsts))
	start := make(chan struct{})
	for i := range firsts {
		wg.Go(func() {
			<-start
			firsts[i], errs[i] = s.PutAlert(ctx, alert(key, "2031-03-14", 80, Now().Add(time.Duration(i)*time.Millisecond)))
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	var won budget.Alert
	for i := range firsts {
		checkErr(t, "racing PutAlert", errs[i], nil)
		if firsts[i] {
			winners++
			won = alert(key, "2031-03-14", 80, Now().Add(time.Duration(i)*time.Millisecond))
		}
	}
	if winners != 1 {
		t.Fatalf("racing PutAlert: %d callers were first, want 1", winners)
	}

	list := func(since time.Time, limit int) []budget.Alert {
		t.Helper()
		got, err := s.ListAlerts(ctx, since, limit)
		checkErr(t, "ListAlerts", err, nil)
		return got
	}
	diff(t, "ListAlerts of everything, newest first", []budget.Alert{won, a100, a80, k50, a50, old}, list(Now().Add(-365*24*time.Hour), 0))
	diff(t, "ListAlerts since an alert's instant (inclusive)", []budget.Alert{won, a100, a80, k50}, list(a80.At, 0))
	diff(t, "ListAlerts with a limit", []budget.Alert{won, a100}, list(Now().Add(-365*24*time.Hour), 2))
	diff(t, "ListAlerts since just after an alert", []budget.Alert{won}, list(a100.At.Add(time.Nanosecond), 10))
	if got := list(Now().Add(time.Hour), 10); len(got) != 0 {
		t.Errorf("ListAlerts since the future: got %d alerts, want none", len(got))
	}
	_, err = s.PutAlert(ctx, budget.Alert{At: Now()})
	checkErr(t, "PutAlert without an ID", err, fault.ErrInvalid)
}

// testBudgetRace fires 200 calls at once at a key budget sized for 120 of
// them, overlapping a team and the global budget: each reserves amount,
// settles actual and records the alerts of what its settlement crossed.
func testBudgetRace(t *testing.T, open opener, actual int64) {
	const (
		calls   = 200
		fitting = 120
		amount  = callAmount
	)
	s := open(t)
	ctx := t.Context()
	key := putBudget(t, s, newBudget(budget.Key, suiteKeyID, budget.Day, budget.USD(fitting*amount)))
	team := putBudget(t, s, newBudget(budget.Team, "imaging", budget.Month, budget.USD(2*fitting*amount)))
	global := putBudget(t, s, newBudget(budget.Global, "", budget.Month, budget.USD(100*fitting*amount)))
	bs := []budget.Budget{key, team, global}
	if budget.LimitPico(key.LimitUSD) != fitting*amount {
		t.Fatalf("the key's limit is %d pico-dollars, want %d", budget.LimitPico(key.LimitUSD), fitting*amount)
	}

	var (
		mu       sync.Mutex
		accepted int
		alerts   = map[string]int{} // alert ID -> how many PutAlert calls were first
		wg       sync.WaitGroup
		start    = make(chan struct{})
	)
	errs := make([]error, calls)
	began := time.Now()
	for i := range calls {
		wg.Go(func() {
			<-start
			r := reservation(fmt.Sprintf("race-%03d", i), bs, amount, Now())
			if err := s.Reserve(ctx, r); err != nil {
				errs[i] = err
				return
			}
			cs, err := s.Settle(ctx, r, actual)
			if err != nil {
				errs[i] = fmt.Errorf("settle: %w", err)
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
			for _, c := range cs {
				first, err := s.PutAlert(ctx, budget.AlertOf(c, Now()))
				if err != nil {
					errs[i] = fmt.Errorf("put alert: %w", err)
					return
				}
				if first {
					mu.Lock()
					alerts[budget.AlertOf(c, Now()).ID]++
					mu.Unlock()
				}
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("%d calls, %d accepted, in %s", calls, accepted, time.Since(began).Round(time.Millisecond))

	for i, err := range errs {
		if err == nil {
			continue
		}
		var ee *budget.ExceededError
		if !errors.As(err, &ee) || ee.Budget != key.Ref() {
			t.Errorf("call %d: got error %v, want success or a refusal by %s", i, err, key.Ref())
		}
	}
	us, err := s.BudgetUsage(ctx, bs, Now())
	checkErr(t, "BudgetUsage", err, nil)
	spent := int64(math.Round(us[0].SpentUSD * 1e12)) // back to exact pico-dollars (PicoUSD rounds up)
	if want := int64(accepted) * actual; spent != want {
		t.Errorf("key spent %d pico-dollars, want %d (%d calls at %d)", spent, want, accepted, actual)
	}
	limit := budget.LimitPico(key.LimitUSD)
	switch {
	case actual == amount && (accepted != fitting || spent != limit):
		// Every refusal saw the key at its limit: committed never falls.
		t.Errorf("actual cost as reserved: %d calls accepted, spent %d, want %d calls and exactly the limit %d", accepted, spent, fitting, limit)
	case spent > limit+actual:
		t.Errorf("spent %d pico-dollars: more than one call's cost (%d) past the limit %d", spent, actual, limit)
	case int64(accepted)*actual <= limit-amount:
		// A refusal saw committed > limit - amount, and committed never
		// holds more than what accepted calls reserved or spent.
		t.Errorf("only %d calls accepted (%d spent): a refusal came before the limit", accepted, spent)
	}
	for i, u := range us {
		if u.ReservedUSD != 0 || u.SpentUSD != us[0].SpentUSD {
			t.Errorf("%s after every call settled: spent $%g reserved $%g, want $%g spent and nothing reserved", bs[i].Ref(), u.SpentUSD, u.ReservedUSD, us[0].SpentUSD)
		}
	}
	if n, err := s.SweepReservations(ctx, Now().Add(sweepLater)); err != nil || n != 0 {
		t.Errorf("SweepReservations after every call settled: swept %d (%v), want 0: a reservation leaked", n, err)
	}

	// Exactly one alert per threshold crossed.
	want := map[string]int{}
	for _, b := range bs {
		c := budget.NewReservation("", []budget.Budget{b}, 0, Now(), 0).Charges[0]
		for _, x := range c.Crossed(0, spent) {
			want[budget.AlertOf(x, Now()).ID] = 1
		}
	}
	diff(t, "alerts recorded first, per ID", want, alerts)
	if actual == amount && len(want) != 4 {
		t.Errorf("%d alerts expected, want the key's 50/80/100%% and the team's 50%%: the test lost its point", len(want))
	}
}
