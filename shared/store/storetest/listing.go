package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/invocation"
)

// testListing checks ListInvocations on one data set through every access
// path (all functions, one function, one key, both), at page sizes that make
// the stores page inside a day, across days and not at all.
func testListing(t *testing.T, open opener) {
	s := open(t)
	base := Now().Add(-time.Hour)
	fns := []string{"resize", "ocr", "thumbnail"}
	keys := []string{"1111111111111111", "2222222222222222", ""}
	var records []invocation.Record
	at := func(i int) time.Time { return base.Add(-time.Duration(i/2) * 7 * time.Hour) }
	for i := range 30 {
		// Pairs of records share a timestamp across functions; IDs are a
		// permutation of insertion order; the records span five days.
		r := record(fmt.Sprintf("01JLIST%02d", (i*11)%30), fns[i%3], keys[(i/3)%3], at(i))
		switch {
		case i%10 == 4 || i >= 28:
			r.ExpiresAt = Now().Add(-time.Second) // never listed
		case i == 7:
			r.ExpiresAt = time.Time{} // never expires
		}
		records = append(records, r)
	}
	wide := [2]time.Time{base.Add(-110 * time.Hour), Now()}
	records = append(records,
		// Two records of one function with one timestamp: ordered by ID.
		record("01JLISTTIEB", "resize", keys[0], at(10)),
		record("01JLISTTIEA", "resize", keys[0], at(10)),
		// Just outside the wide window on both ends.
		record("01JLISTATUNTIL", "resize", keys[0], wide[1]),
		record("01JLISTBEFORESINCE", "resize", keys[0], wide[0].Add(-time.Nanosecond)),
	)
	for _, r := range records {
		putInvocation(t, s, r)
	}

	tests := []struct {
		name string
		q    invocation.Query
	}{
		{name: "all functions", q: invocation.Query{}},
		{name: "one function", q: invocation.Query{Function: "resize"}},
		{name: "one key", q: invocation.Query{KeyID: keys[0]}},
		{name: "function and key", q: invocation.Query{Function: "resize", KeyID: keys[1]}},
		{name: "bounds on records", q: invocation.Query{Since: at(20), Until: at(6)}},
		{name: "bounds on records, one function", q: invocation.Query{Function: "ocr", Since: at(20), Until: at(6)}},
		{name: "bounds on records, one key", q: invocation.Query{KeyID: keys[1], Since: at(20), Until: at(6)}},
		{name: "unknown function", q: invocation.Query{Function: "absent"}},
		{name: "unknown key", q: invocation.Query{KeyID: "ffffffffffffffff"}},
	}
	for _, tc := range tests {
		if tc.q.Since.IsZero() {
			tc.q.Since, tc.q.Until = wide[0], wide[1]
		}
		want := expected(records, tc.q)
		for _, limit := range []int{1, 4, invocation.MaxLimit} {
			t.Run(fmt.Sprintf("%s/limit %d", tc.name, limit), func(t *testing.T) {
				got := collect(t, s, tc.q, limit)
				diff(t, "listed IDs", names(want, recordID), names(got, recordID))
				diff(t, "listed records", want, got)
			})
		}
	}
}

func recordID(r invocation.Record) string { return r.ID }

// expected is what a listing must return, worked out the slow way.
func expected(records []invocation.Record, q invocation.Query) []invocation.Record {
	var out []invocation.Record
	for _, r := range records {
		if (q.Function == "" || r.FunctionName == q.Function) &&
			(q.KeyID == "" || r.KeyID == q.KeyID) &&
			!r.Timestamp.Before(q.Since) && r.Timestamp.Before(q.Until) &&
			(r.ExpiresAt.IsZero() || !r.ExpiresAt.Before(Now())) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b invocation.Record) int {
		if c := b.Timestamp.Compare(a.Timestamp); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}
