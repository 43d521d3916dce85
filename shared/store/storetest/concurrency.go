package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

func testConcurrency(t *testing.T, open opener) {
	t.Run("racing activations leave one policy active", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		candidates := []string{"fast", "cheap"}
		for _, name := range candidates {
			putPolicy(t, s, newPolicy(name, "resize"))
		}
		errs := make([]error, 20)
		var wg sync.WaitGroup
		start := make(chan struct{}) // all at once: most overlap
		for i := range errs {
			wg.Go(func() {
				<-start
				_, errs[i] = s.ActivatePolicy(t.Context(), candidates[i%2], Now())
			})
		}
		close(start)
		wg.Wait()
		succeeded := 0
		for i, err := range errs {
			switch {
			case err == nil:
				succeeded++
			case !errors.Is(err, fault.ErrConflict):
				// A store may give up on a hopelessly contended activation,
				// but only with a conflict the caller can retry.
				t.Errorf("activation %d: got error %v, want success or a conflict", i, err)
			}
		}
		if succeeded == 0 {
			t.Fatalf("none of %d activations succeeded", len(errs))
		}
		var active []string
		for _, name := range candidates {
			if getPolicy(t, s, name).IsActive {
				active = append(active, name)
			}
		}
		fn := getFunction(t, s, "resize")
		if len(active) != 1 || fn.ActivePolicy != active[0] {
			t.Errorf("after the race: active policies %q and function ActivePolicy %q, want exactly one active policy named by the function", active, fn.ActivePolicy)
		}
	})

	t.Run("racing writes with the same expected version", func(t *testing.T) {
		s := open(t)
		putFunction(t, s, function("resize"))
		errs := make([]error, 10)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range errs {
			wg.Go(func() {
				<-start
				f := function("resize")
				f.Description = fmt.Sprintf("writer %d", i)
				_, _, errs[i] = s.PutFunction(t.Context(), f, 1)
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("writers %d and %d both succeeded with expected version 1", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, fault.ErrConflict):
				t.Errorf("writer %d: got error %v, want a conflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("none of %d writers succeeded", len(errs))
		}
		got := getFunction(t, s, "resize")
		if want := fmt.Sprintf("writer %d", winner); got.Version != 2 || got.Description != want {
			t.Errorf("stored: got version %d description %q, want 2, %q", got.Version, got.Description, want)
		}
		_, _, err := s.PutFunction(t.Context(), function("resize"), store.AnyVersion)
		checkErr(t, "PutFunction after the race", err, nil)
	})
}
