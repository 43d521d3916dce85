package storetest

import (
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
)

func testPolicies(t *testing.T, open opener) {
	t.Run("get missing", func(t *testing.T) {
		s := open(t)
		_, err := s.GetPolicy(t.Context(), "nope")
		checkErr(t, "GetPolicy", err, fault.ErrNotFound)
	})

	t.Run("create and replace", func(t *testing.T) {
		s := open(t)
		in := newPolicy("fast", "resize")
		in.Version = 9
		got, created, err := s.PutPolicy(t.Context(), in, store.AnyVersion)
		checkErr(t, "PutPolicy", err, nil)
		if !created {
			t.Errorf("created: got false, want true")
		}
		want := newPolicy("fast", "resize")
		want.Version, want.CreatedAt = 1, want.UpdatedAt
		diff(t, "PutPolicy result", want, got)
		diff(t, "GetPolicy", want, getPolicy(t, s, "fast"))

		next := newPolicy("fast", "thumbnail")
		next.DefaultProvider, next.DefaultTarget, next.Failover = "gcp", "", nil
		next.UpdatedAt = want.UpdatedAt.Add(time.Minute)
		got, created, err = s.PutPolicy(t.Context(), next, 1)
		checkErr(t, "PutPolicy replace", err, nil)
		if created {
			t.Errorf("created on replace: got true, want false")
		}
		created1 := want.CreatedAt
		want = next
		want.Version, want.CreatedAt = 2, created1
		diff(t, "PutPolicy replace result", want, got)
		diff(t, "GetPolicy after replace", want, getPolicy(t, s, "fast"))
	})

	t.Run("every field round-trips, and an emptied one is gone", func(t *testing.T) {
		s := open(t)
		share := 0.1
		full := newPolicy("learn", "resize")
		full.Strategy, full.DefaultTarget, full.Failover = policy.Split, "", nil
		full.SLOP95Ms, full.CostCapUSD = 250, 0.000002
		full.Weights = &policy.Weights{Latency: 0.5, Cost: 0.5, Reliability: 0.25, Affinity: 0}
		full.Rules = []policy.Rule{{Window: "22:00-02:00", Days: []int{4, 5}, Prefer: catalog.GCP}}
		full.AllowedProviders = []catalog.Provider{catalog.AWS, catalog.GCP}
		full.AllowedRegions = []string{"us-east-1", "us-central1"}
		full.Split = &policy.SplitConfig{Percent: 30, A: policy.Cheapest, B: policy.Weighted}
		full.Exploration = &share
		got, _, err := s.PutPolicy(t.Context(), full, store.AnyVersion)
		checkErr(t, "PutPolicy", err, nil)
		want := full
		want.Version, want.CreatedAt = 1, full.UpdatedAt
		diff(t, "PutPolicy result with every field", want, got)
		diff(t, "GetPolicy with every field", want, getPolicy(t, s, "learn"))

		bare := newPolicy("learn", "resize")
		bare.DefaultTarget, bare.Failover = "", nil
		bare.UpdatedAt = full.UpdatedAt.Add(time.Minute)
		got, _, err = s.PutPolicy(t.Context(), bare, 1)
		checkErr(t, "PutPolicy bare", err, nil)
		want = bare
		want.Version, want.CreatedAt = 2, full.UpdatedAt
		diff(t, "PutPolicy result after emptying", want, got)
		diff(t, "GetPolicy after emptying", want, getPolicy(t, s, "learn"))
	})

	t.Run("expected version", func(t *testing.T) {
		tests := []struct {
			name        string
			writes      int
			expect      int64
			want        error
			wantVersion int64
		}{
			{name: "any version", writes: 1, expect: store.AnyVersion, wantVersion: 2},
			{name: "matching version", writes: 1, expect: 1, wantVersion: 2},
			{name: "stale version", writes: 2, expect: 1, want: fault.ErrConflict, wantVersion: 2},
			{name: "expected version of a missing policy", writes: 0, expect: 1, want: fault.ErrConflict},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				for range tc.writes {
					putPolicy(t, s, newPolicy("fast", "resize"))
				}
				_, _, err := s.PutPolicy(t.Context(), newPolicy("fast", "resize"), tc.expect)
				checkErr(t, "PutPolicy", err, tc.want)
				stored, err := s.GetPolicy(t.Context(), "fast")
				if tc.wantVersion == 0 {
					checkErr(t, "GetPolicy after the failed create", err, fault.ErrNotFound)
					return
				}
				checkErr(t, "GetPolicy", err, nil)
				if stored.Version != tc.wantVersion {
					t.Errorf("stored Version: got %d, want %d", stored.Version, tc.wantVersion)
				}
			})
		}
	})

	t.Run("IsActive kept as stored", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		in := newPolicy("fast", "resize")
		in.IsActive = true
		if got := putPolicy(t, s, in); got.IsActive {
			t.Errorf("new policy IsActive: got true, want false")
		}
		if getPolicy(t, s, "fast").IsActive {
			t.Errorf("stored new policy IsActive: got true, want false")
		}
		activate(t, s, "fast")
		in.IsActive = false
		if got := putPolicy(t, s, in); !got.IsActive {
			t.Errorf("active policy after PutPolicy IsActive: got false, want true")
		}
		checkActive(t, s, "resize", "fast")
	})

	t.Run("list ordered by name", func(t *testing.T) {
		s := open(t)
		if got, err := s.ListPolicies(t.Context()); err != nil || len(got) != 0 {
			t.Fatalf("ListPolicies on an empty store: got %d policies and error %v, want none", len(got), err)
		}
		for _, name := range []string{"slow", "fast", "cheap", "fast-2"} {
			putPolicy(t, s, newPolicy(name, "resize"))
		}
		got, err := s.ListPolicies(t.Context())
		checkErr(t, "ListPolicies", err, nil)
		diff(t, "names", []string{"cheap", "fast", "fast-2", "slow"}, names(got, func(p policy.Policy) string { return p.Name }))
	})

	t.Run("delete", func(t *testing.T) {
		tests := []struct {
			name   string
			exists bool
			active bool
			expect int64
			want   error
		}{
			{name: "any version", exists: true, expect: store.AnyVersion},
			{name: "matching version", exists: true, expect: 1},
			{name: "stale version", exists: true, expect: 3, want: fault.ErrConflict},
			{name: "active", exists: true, active: true, expect: store.AnyVersion, want: fault.ErrConflict},
			{name: "active with matching version", exists: true, active: true, expect: 1, want: fault.ErrConflict},
			{name: "missing", expect: store.AnyVersion, want: fault.ErrNotFound},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				putFunction(t, s, function("resize"))
				if tc.exists {
					putPolicy(t, s, newPolicy("fast", "resize"))
				}
				if tc.active {
					activate(t, s, "fast")
				}
				checkErr(t, "DeletePolicy", s.DeletePolicy(t.Context(), "fast", tc.expect), tc.want)
				_, err := s.GetPolicy(t.Context(), "fast")
				if tc.exists && tc.want != nil {
					checkErr(t, "GetPolicy after a refused delete", err, nil)
				} else {
					checkErr(t, "GetPolicy after delete", err, fault.ErrNotFound)
				}
				if tc.active {
					checkActive(t, s, "resize", "fast")
				}
			})
		}
	})
}

func testActivation(t *testing.T, open opener) {
	t.Run("DefaultFunction before any activation", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		putPolicy(t, s, newPolicy("fast", "resize"))
		_, err := s.DefaultFunction(t.Context())
		checkErr(t, "DefaultFunction", err, fault.ErrNotFound)
	})

	t.Run("activate", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		putPolicy(t, s, newPolicy("fast", "resize"))
		got := activate(t, s, "fast")
		if !got.IsActive || got.Name != "fast" || got.Function != "resize" || got.Version != 1 {
			t.Errorf("ActivatePolicy result: got name %q function %q version %d active %t, want fast, resize, 1, true", got.Name, got.Function, got.Version, got.IsActive)
		}
		checkActive(t, s, "resize", "fast")
		checkDefault(t, s, "resize")
		activate(t, s, "fast") // activating the active policy again is harmless
		checkActive(t, s, "resize", "fast")
	})

	t.Run("activating a second policy of a function deactivates the first", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		putPolicy(t, s, newPolicy("fast", "resize"))
		putPolicy(t, s, newPolicy("cheap", "resize"))
		activate(t, s, "fast")
		activate(t, s, "cheap")
		checkActive(t, s, "resize", "cheap", "fast")
		activate(t, s, "fast")
		checkActive(t, s, "resize", "fast", "cheap")
	})

	t.Run("policies of different functions are active together", func(t *testing.T) {
		s := open(t)
		for _, fn := range []string{"resize", "ocr"} {
			putFunction(t, s, function(fn))
			putPolicy(t, s, newPolicy(fn+"-fast", fn))
		}
		activate(t, s, "resize-fast")
		activate(t, s, "ocr-fast")
		checkActive(t, s, "resize", "resize-fast")
		checkActive(t, s, "ocr", "ocr-fast")
		checkDefault(t, s, "ocr")
		activate(t, s, "resize-fast")
		checkDefault(t, s, "resize")
	})

	t.Run("activate unknown policy", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		_, err := s.ActivatePolicy(t.Context(), "nope", Now())
		checkErr(t, "ActivatePolicy", err, fault.ErrNotFound)
	})

	t.Run("activate a policy whose function is missing", func(t *testing.T) {
		s := open(t)
		putPolicy(t, s, newPolicy("fast", "resize"))
		_, err := s.ActivatePolicy(t.Context(), "fast", Now())
		checkErr(t, "ActivatePolicy", err, fault.ErrConflict)
		if getPolicy(t, s, "fast").IsActive {
			t.Errorf("IsActive after a refused activation: got true, want false")
		}
		_, err = s.DefaultFunction(t.Context())
		checkErr(t, "DefaultFunction", err, fault.ErrNotFound)
	})

	t.Run("deactivate", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		putPolicy(t, s, newPolicy("fast", "resize"))
		activate(t, s, "fast")
		got, err := s.DeactivatePolicy(t.Context(), "fast", Now())
		checkErr(t, "DeactivatePolicy", err, nil)
		if got.IsActive || got.Name != "fast" {
			t.Errorf("DeactivatePolicy result: got name %q active %t, want fast, false", got.Name, got.IsActive)
		}
		checkActive(t, s, "resize", "", "fast")
		_, err = s.DeactivatePolicy(t.Context(), "fast", Now())
		checkErr(t, "DeactivatePolicy of an inactive policy", err, nil)
		checkActive(t, s, "resize", "", "fast")
		_, err = s.DeactivatePolicy(t.Context(), "nope", Now())
		checkErr(t, "DeactivatePolicy of an unknown policy", err, fault.ErrNotFound)
	})

	t.Run("deactivating an inactive policy leaves the active one", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		putPolicy(t, s, newPolicy("fast", "resize"))
		putPolicy(t, s, newPolicy("cheap", "resize"))
		activate(t, s, "fast")
		if _, err := s.DeactivatePolicy(t.Context(), "cheap", Now()); err != nil {
			t.Fatalf("DeactivatePolicy: %v", err)
		}
		checkActive(t, s, "resize", "fast", "cheap")
	})

	t.Run("moving a policy to another function", func(t *testing.T) {
		tests := []struct {
			name   string
			active bool
			to     string
			want   error
		}{
			{name: "inactive policy moves", to: "ocr"},
			{name: "active policy stays on its function", active: true, to: "resize"},
			{name: "active policy cannot move", active: true, to: "ocr", want: fault.ErrConflict},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				putFunction(t, s, function("resize"))
				putFunction(t, s, function("ocr"))
				putPolicy(t, s, newPolicy("fast", "resize"))
				if tc.active {
					activate(t, s, "fast")
				}
				_, _, err := s.PutPolicy(t.Context(), newPolicy("fast", tc.to), store.AnyVersion)
				checkErr(t, "PutPolicy", err, tc.want)
				wantFn := tc.to
				if tc.want != nil {
					wantFn = "resize"
				}
				stored := getPolicy(t, s, "fast")
				if stored.Function != wantFn || stored.IsActive != tc.active {
					t.Errorf("stored policy: got function %q active %t, want %q, %t", stored.Function, stored.IsActive, wantFn, tc.active)
				}
				if tc.active {
					checkActive(t, s, "resize", "fast")
				}
			})
		}
	})
}

func checkDefault(t *testing.T, s store.Store, want string) {
	t.Helper()
	got, err := s.DefaultFunction(t.Context())
	if err != nil || got != want {
		t.Errorf("DefaultFunction: got %q, %v, want %q", got, err, want)
	}
}
