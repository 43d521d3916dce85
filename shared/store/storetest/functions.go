package storetest

import (
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

func testFunctions(t *testing.T, open opener) {
	t.Run("get missing", func(t *testing.T) {
		s := open(t)
		_, err := s.GetFunction(t.Context(), "nope")
		checkErr(t, "GetFunction", err, fault.ErrNotFound)
	})

	t.Run("create", func(t *testing.T) {
		s := open(t)
		in := function("resize")
		in.Version = 42 // the store decides the version
		got, created, err := s.PutFunction(t.Context(), in, store.AnyVersion)
		checkErr(t, "PutFunction", err, nil)
		if !created {
			t.Errorf("created: got false, want true")
		}
		want := function("resize")
		want.Version = 1
		want.CreatedAt = want.UpdatedAt
		diff(t, "PutFunction result", want, got)
		diff(t, "GetFunction", want, getFunction(t, s, "resize"))
	})

	t.Run("replace", func(t *testing.T) {
		s := open(t)
		first := putFunction(t, s, function("resize"))
		next := function("resize")
		next.Description = "resizes and crops images"
		next.Deployments = next.Deployments[1:]
		next.UpdatedAt = first.UpdatedAt.Add(time.Minute)
		next.CreatedAt = next.UpdatedAt // ignored: CreatedAt is kept from the stored item
		got, created, err := s.PutFunction(t.Context(), next, store.AnyVersion)
		checkErr(t, "PutFunction", err, nil)
		if created {
			t.Errorf("created: got true, want false")
		}
		want := next
		want.Version = 2
		want.CreatedAt = first.CreatedAt
		diff(t, "PutFunction result", want, got)
		diff(t, "GetFunction", want, getFunction(t, s, "resize"))
	})

	t.Run("new function ignores ActivePolicy", func(t *testing.T) {
		s := open(t)
		in := function("resize")
		in.ActivePolicy = "forged"
		if got := putFunction(t, s, in); got.ActivePolicy != "" {
			t.Errorf("ActivePolicy: got %q, want empty", got.ActivePolicy)
		}
		if got := getFunction(t, s, "resize").ActivePolicy; got != "" {
			t.Errorf("stored ActivePolicy: got %q, want empty", got)
		}
	})

	t.Run("ActivePolicy kept across PutFunction", func(t *testing.T) {
		for _, input := range []string{"", "other"} {
			t.Run("input "+input, func(t *testing.T) {
				s := open(t)
				putFunction(t, s, function("resize"))
				putPolicy(t, s, newPolicy("fast", "resize"))
				activate(t, s, "fast")
				in := function("resize")
				in.ActivePolicy = input
				if got := putFunction(t, s, in); got.ActivePolicy != "fast" {
					t.Errorf("PutFunction result ActivePolicy: got %q, want %q", got.ActivePolicy, "fast")
				}
				checkActive(t, s, "resize", "fast")
			})
		}
	})

	t.Run("expected version", func(t *testing.T) {
		tests := []struct {
			name        string
			writes      int // writes before the one under test
			expect      int64
			want        error
			wantVersion int64 // stored afterwards
		}{
			{name: "any version creates", writes: 0, expect: store.AnyVersion, wantVersion: 1},
			{name: "any version replaces", writes: 2, expect: store.AnyVersion, wantVersion: 3},
			{name: "matching version", writes: 2, expect: 2, wantVersion: 3},
			{name: "stale version", writes: 2, expect: 1, want: fault.ErrConflict, wantVersion: 2},
			{name: "version from the future", writes: 1, expect: 5, want: fault.ErrConflict, wantVersion: 1},
			{name: "expected version of a missing function", writes: 0, expect: 1, want: fault.ErrConflict},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				for range tc.writes {
					putFunction(t, s, function("resize"))
				}
				in := function("resize")
				in.Description = "the write under test"
				got, _, err := s.PutFunction(t.Context(), in, tc.expect)
				checkErr(t, "PutFunction", err, tc.want)
				if tc.want == nil && got.Version != tc.wantVersion {
					t.Errorf("returned Version: got %d, want %d", got.Version, tc.wantVersion)
				}
				stored, err := s.GetFunction(t.Context(), "resize")
				if tc.wantVersion == 0 {
					checkErr(t, "GetFunction after the failed create", err, fault.ErrNotFound)
					return
				}
				checkErr(t, "GetFunction", err, nil)
				if stored.Version != tc.wantVersion {
					t.Errorf("stored Version: got %d, want %d", stored.Version, tc.wantVersion)
				}
				if wrote := stored.Description == in.Description; wrote != (tc.want == nil) {
					t.Errorf("stored Description %q: the write under test applied = %t, want %t", stored.Description, wrote, tc.want == nil)
				}
			})
		}
	})

	t.Run("list ordered by name", func(t *testing.T) {
		s := open(t)
		if got, err := s.ListFunctions(t.Context()); err != nil || len(got) != 0 {
			t.Fatalf("ListFunctions on an empty store: got %d functions and error %v, want none", len(got), err)
		}
		for _, name := range []string{"thumbnail", "resize", "ocr", "resize-v2", "a.b"} {
			putFunction(t, s, function(name))
		}
		got, err := s.ListFunctions(t.Context())
		checkErr(t, "ListFunctions", err, nil)
		diff(t, "names", []string{"a.b", "ocr", "resize", "resize-v2", "thumbnail"}, names(got, func(f catalog.Function) string { return f.Name }))
		want := function("ocr")
		want.Version, want.CreatedAt = 1, want.UpdatedAt
		if len(got) == 5 {
			diff(t, "listed function", want, got[1])
		}
	})

	t.Run("delete", func(t *testing.T) {
		tests := []struct {
			name   string
			exists bool
			expect int64
			want   error
		}{
			{name: "any version", exists: true, expect: store.AnyVersion},
			{name: "matching version", exists: true, expect: 2},
			{name: "stale version", exists: true, expect: 1, want: fault.ErrConflict},
			{name: "missing", exists: false, expect: store.AnyVersion, want: fault.ErrNotFound},
			{name: "missing with a version", exists: false, expect: 1, want: fault.ErrNotFound},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				putFunction(t, s, function("other"))
				if tc.exists {
					putFunction(t, s, function("resize"))
					putFunction(t, s, function("resize"))
				}
				err := s.DeleteFunction(t.Context(), "resize", tc.expect)
				checkErr(t, "DeleteFunction", err, tc.want)
				_, err = s.GetFunction(t.Context(), "resize")
				if tc.exists && tc.want != nil {
					checkErr(t, "GetFunction after a refused delete", err, nil)
				} else {
					checkErr(t, "GetFunction after delete", err, fault.ErrNotFound)
				}
				getFunction(t, s, "other")
			})
		}
	})

	t.Run("delete while an active policy routes it", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		putPolicy(t, s, newPolicy("fast", "resize"))
		activate(t, s, "fast")
		checkErr(t, "DeleteFunction", s.DeleteFunction(t.Context(), "resize", store.AnyVersion), fault.ErrConflict)
		checkActive(t, s, "resize", "fast")
		if _, err := s.DeactivatePolicy(t.Context(), "fast", Now()); err != nil {
			t.Fatalf("DeactivatePolicy: %v", err)
		}
		checkErr(t, "DeleteFunction after deactivation", s.DeleteFunction(t.Context(), "resize", store.AnyVersion), nil)
	})

	t.Run("times round-trip to the nanosecond in UTC", func(t *testing.T) {
		s := open(t)
		in := function("resize")
		in.UpdatedAt = time.Date(2030, time.December, 31, 23, 59, 59, 999999999, time.FixedZone("UTC+5:30", 5*3600+1800))
		got := putFunction(t, s, in)
		stored := getFunction(t, s, "resize")
		for _, c := range []struct {
			name string
			t    time.Time
		}{
			{"returned CreatedAt", got.CreatedAt}, {"returned UpdatedAt", got.UpdatedAt},
			{"stored CreatedAt", stored.CreatedAt}, {"stored UpdatedAt", stored.UpdatedAt},
		} {
			if !c.t.Equal(in.UpdatedAt) || c.t.Location() != time.UTC {
				t.Errorf("%s: got %s, want %s", c.name, c.t.Format(time.RFC3339Nano), in.UpdatedAt.UTC().Format(time.RFC3339Nano))
			}
		}
	})
}
