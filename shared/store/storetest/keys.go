package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/fault"
)

func testKeys(t *testing.T, open opener) {
	t.Run("put and look up by hash", func(t *testing.T) {
		s := open(t)
		k := newKey(t, "fiso_plaintext-key-number-one", "ci pipeline")
		checkErr(t, "PutKey", s.PutKey(t.Context(), k), nil)
		got, err := s.KeyByHash(t.Context(), apikey.Hash("fiso_plaintext-key-number-one"))
		checkErr(t, "KeyByHash", err, nil)
		diff(t, "KeyByHash", k, got) // Hash included: it is json:"-" but must be stored
		if !got.Matches("fiso_plaintext-key-number-one") {
			t.Errorf("stored key does not match its plaintext")
		}
	})

	t.Run("unknown hash", func(t *testing.T) {
		s := open(t)
		_, err := s.KeyByHash(t.Context(), apikey.Hash("fiso_never-stored-anywhere-at-all"))
		checkErr(t, "KeyByHash", err, fault.ErrNotFound)
	})

	t.Run("duplicate hash", func(t *testing.T) {
		s := open(t)
		k := newKey(t, "fiso_plaintext-key-number-one", "first")
		checkErr(t, "PutKey", s.PutKey(t.Context(), k), nil)
		dup := k
		dup.Name = "second"
		checkErr(t, "PutKey of the same hash", s.PutKey(t.Context(), dup), fault.ErrConflict)
		got, err := s.KeyByHash(t.Context(), k.Hash)
		checkErr(t, "KeyByHash", err, nil)
		if got.Name != "first" {
			t.Errorf("stored key name: got %q, want %q", got.Name, "first")
		}
	})

	t.Run("list ordered by ID", func(t *testing.T) {
		s := open(t)
		if got, err := s.ListKeys(t.Context()); err != nil || len(got) != 0 {
			t.Fatalf("ListKeys on an empty store: got %d keys and error %v, want none", len(got), err)
		}
		var want []apikey.Key
		for i, plain := range []string{"fiso_aaaaaaaaaaaaaaaaaaaaaaaaa", "fiso_bbbbbbbbbbbbbbbbbbbbbbbbb", "fiso_ccccccccccccccccccccccccc", "fiso_ddddddddddddddddddddddddd"} {
			k := newKey(t, plain, "key "+string(rune('a'+i)))
			checkErr(t, "PutKey", s.PutKey(t.Context(), k), nil)
			want = append(want, k)
		}
		// Hashes give the IDs an order unrelated to insertion order.
		slices.SortFunc(want, func(a, b apikey.Key) int { return strings.Compare(a.ID, b.ID) })
		got, err := s.ListKeys(t.Context())
		checkErr(t, "ListKeys", err, nil)
		diff(t, "ListKeys", want, got)
	})

	t.Run("delete by ID", func(t *testing.T) {
		s := open(t)
		keep := newKey(t, "fiso_plaintext-key-to-keep-here", "keep")
		gone := newKey(t, "fiso_plaintext-key-to-delete-now", "gone")
		for _, k := range []apikey.Key{keep, gone} {
			checkErr(t, "PutKey", s.PutKey(t.Context(), k), nil)
		}
		checkErr(t, "DeleteKey", s.DeleteKey(t.Context(), gone.ID), nil)
		_, err := s.KeyByHash(t.Context(), gone.Hash)
		checkErr(t, "KeyByHash of the deleted key", err, fault.ErrNotFound)
		_, err = s.KeyByHash(t.Context(), keep.Hash)
		checkErr(t, "KeyByHash of the kept key", err, nil)
		checkErr(t, "DeleteKey again", s.DeleteKey(t.Context(), gone.ID), fault.ErrNotFound)
		checkErr(t, "DeleteKey of an unknown ID", s.DeleteKey(t.Context(), "0123456789abcdef"), fault.ErrNotFound)
		got, err := s.ListKeys(t.Context())
		checkErr(t, "ListKeys", err, nil)
		diff(t, "ListKeys after delete", []apikey.Key{keep}, got)
	})

	t.Run("the last admin key cannot be deleted", func(t *testing.T) {
		s := open(t)
		admin := func(plain, name string) apikey.Key {
			k, err := apikey.New(plain, name, apikey.Admin, "", Now())
			checkErr(t, "apikey.New", err, nil)
			checkErr(t, "PutKey", s.PutKey(t.Context(), k), nil)
			return k
		}
		first := admin("fiso_first-admin-key-plaintext-0", "first")
		invoker := newKey(t, "fiso_an-invoker-key-plaintext-00", "invoker")
		checkErr(t, "PutKey", s.PutKey(t.Context(), invoker), nil)
		checkErr(t, "DeleteKey of the only admin", s.DeleteKey(t.Context(), first.ID), fault.ErrConflict)
		checkErr(t, "DeleteKey of an invoker", s.DeleteKey(t.Context(), invoker.ID), nil)
		second := admin("fiso_second-admin-key-plaintext0", "second")
		checkErr(t, "DeleteKey of one of two admins", s.DeleteKey(t.Context(), first.ID), nil)
		checkErr(t, "DeleteKey of the remaining admin", s.DeleteKey(t.Context(), second.ID), fault.ErrConflict)

		// Concurrent deletes of different admin keys leave at least one.
		third := admin("fiso_third-admin-key-plaintext-0", "third")
		errs := make(chan error, 2)
		for _, k := range []apikey.Key{second, third} {
			go func() { errs <- s.DeleteKey(t.Context(), k.ID) }()
		}
		deleted := 0
		for range 2 {
			if err := <-errs; err == nil {
				deleted++
			} else if !errors.Is(err, fault.ErrConflict) {
				t.Errorf("concurrent DeleteKey: %v", err)
			}
		}
		keys, err := s.ListKeys(t.Context())
		checkErr(t, "ListKeys", err, nil)
		if deleted != 1 || len(keys) != 1 || keys[0].Role != apikey.Admin {
			t.Errorf("after two concurrent deletes of two admins: %d deleted, keys %v; want one admin left", deleted, keys)
		}
	})
}
