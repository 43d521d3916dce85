package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store"
)

// sep joins the parts of index keys; names, IDs and sort keys never hold it.
const sep = "\x00"

// PutInvocation implements store.Invocations. The record is checked and
// encoded here, then handed to the group committer, which acknowledges it
// once queued: the request does not wait for the fsync, every later read
// sees it (reads flush first), and a failed commit is logged.
func (s *Store) PutInvocation(ctx context.Context, r invocation.Record) error {
	if err := store.CheckRecord(r); err != nil {
		return fmt.Errorf("put invocation %q: %w", r.ID, err)
	}
	r = inUTC(r)
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode invocation %q: %w", r.ID, err)
	}
	pk := primaryKey(r)
	err = s.log.enqueue(func(tx *bolt.Tx) error {
		if err := writeInvocation(tx, r, pk, data); err != nil {
			return fmt.Errorf("write invocation %q: %w", r.ID, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put invocation %q: %w", r.ID, err)
	}
	return nil
}

// writeInvocation stores a record and its index entries. A group commit is
// retried without a write that failed, so this must be idempotent: remove,
// then write.
func writeInvocation(tx *bolt.Tx, r invocation.Record, pk, data []byte) error {
	if old := tx.Bucket([]byte(bucketInvocationsByID)).Get([]byte(r.ID)); old != nil {
		if err := removeInvocation(tx, slices.Clone(old)); err != nil {
			return err
		}
	} else if err := addCosts(tx, r); err != nil {
		return err
	}
	if err := tx.Bucket([]byte(bucketInvocations)).Put(pk, data); err != nil {
		return err
	}
	if err := tx.Bucket([]byte(bucketInvocationsByID)).Put([]byte(r.ID), pk); err != nil {
		return err
	}
	for _, e := range indexEntries(r) {
		if err := tx.Bucket([]byte(e.bucket)).Put([]byte(e.key), nil); err != nil {
			return err
		}
	}
	return nil
}

// GetInvocation implements store.Invocations.
func (s *Store) GetInvocation(ctx context.Context, id string) (invocation.Record, error) {
	if err := s.log.flush(); err != nil {
		return invocation.Record{}, fmt.Errorf("get invocation %q: %w", id, err)
	}
	now := s.now()
	var r invocation.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		pk := tx.Bucket([]byte(bucketInvocationsByID)).Get([]byte(id))
		if pk == nil {
			return store.NotFound("invocation", id)
		}
		data := tx.Bucket([]byte(bucketInvocations)).Get(pk)
		if data == nil {
			return store.NotFound("invocation", id)
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("decode invocation: %w", err)
		}
		if store.Expired(r, now) {
			return store.NotFound("invocation", id)
		}
		return nil
	})
	if err != nil {
		return invocation.Record{}, fmt.Errorf("get invocation %q: %w", id, err)
	}
	return r, nil
}

// ListInvocations implements store.Invocations. Each access path walks one
// bucket backwards from the upper bound; the bound excludes After itself, so
// continuing a listing needs no skipping.
func (s *Store) ListInvocations(ctx context.Context, q invocation.Query) (invocation.Page, error) {
	if err := s.log.flush(); err != nil {
		return invocation.Page{}, fmt.Errorf("list invocations: %w", err)
	}
	limit, err := store.PageSize(q)
	if err != nil {
		return invocation.Page{}, fmt.Errorf("list invocations: %w", err)
	}
	now := s.now()
	lo, hi := invocation.SortKeyTime(q.Since), invocation.SortKeyTime(q.Until)
	if q.After != nil {
		hi = min(hi, q.After.SortKey())
	}
	var items []invocation.Record
	err = s.db.View(func(tx *bolt.Tx) error {
		records := tx.Bucket([]byte(bucketInvocations))
		// take keeps a live record and says whether to go on: one more than
		// the limit, to know whether another page follows.
		take := func(pk, data []byte) (bool, error) {
			if data == nil {
				if data = records.Get(pk); data == nil {
					return true, nil
				}
			}
			var r invocation.Record
			if err := json.Unmarshal(data, &r); err != nil {
				return false, fmt.Errorf("decode invocation %q: %w", pk, err)
			}
			if !store.Expired(r, now) {
				items = append(items, r)
			}
			return len(items) <= limit, nil
		}
		switch {
		case q.KeyID != "":
			prefix := q.KeyID + sep
			return scanDown(tx.Bucket([]byte(bucketInvocationsByKey)), prefix+lo, prefix+hi, func(k, _ []byte) (bool, error) {
				sk, fn, _ := strings.Cut(string(k[len(prefix):]), sep)
				if q.Function != "" && fn != q.Function {
					return true, nil
				}
				return take([]byte(fn+sep+sk), nil)
			})
		case q.Function != "":
			prefix := q.Function + sep
			return scanDown(records, prefix+lo, prefix+hi, take)
		default:
			return scanDown(tx.Bucket([]byte(bucketInvocationsByTime)), lo, hi, func(k, _ []byte) (bool, error) {
				sk, fn, _ := strings.Cut(string(k), sep)
				return take([]byte(fn+sep+sk), nil)
			})
		}
	})
	if err != nil {
		return invocation.Page{}, fmt.Errorf("list invocations: %w", err)
	}
	if len(items) <= limit {
		return invocation.Page{Items: items}, nil
	}
	next := invocation.PositionOf(items[limit-1])
	return invocation.Page{Items: items[:limit], Next: &next}, nil
}

// PurgeExpired deletes the records that expired before now, with their index
// entries, and says how many it deleted. The dev server calls it now and
// then; DynamoDB does the same with TTL.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time) (int, error) {
	if err := s.log.flush(); err != nil {
		return 0, fmt.Errorf("purge expired invocations: %w", err)
	}
	cutoff := []byte(invocation.SortKeyTime(now))
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("purge expired invocations: %w", err)
		}
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			expiries := tx.Bucket([]byte(bucketInvocationsExpires))
			var due [][]byte
			c := expiries.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, cutoff) < 0 && len(due) < s.purgeBatch; k, _ = c.Next() {
				due = append(due, slices.Clone(k))
			}
			for _, k := range due {
				_, pk, _ := bytes.Cut(k, []byte(sep))
				if err := removeInvocation(tx, pk); err != nil {
					return err
				}
				// An entry whose record is gone is removed all the same.
				if err := expiries.Delete(k); err != nil {
					return err
				}
			}
			n = len(due)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("purge expired invocations: %w", err)
		}
		total += n
		if n < s.purgeBatch {
			return total, nil
		}
	}
}

// indexEntry is one key in one of the invocation index buckets.
type indexEntry struct{ bucket, key string }

func primaryKey(r invocation.Record) []byte {
	return []byte(r.FunctionName + sep + invocation.PositionOf(r).SortKey())
}

// indexEntries lists the index keys of r, other than its entry by ID.
func indexEntries(r invocation.Record) []indexEntry {
	sk := invocation.PositionOf(r).SortKey()
	es := []indexEntry{{bucketInvocationsByTime, sk + sep + r.FunctionName}}
	if r.KeyID != "" {
		es = append(es, indexEntry{bucketInvocationsByKey, r.KeyID + sep + sk + sep + r.FunctionName})
	}
	if !r.ExpiresAt.IsZero() {
		es = append(es, indexEntry{bucketInvocationsExpires, invocation.SortKeyTime(r.ExpiresAt) + sep + string(primaryKey(r))})
	}
	return es
}

// removeInvocation deletes the record stored at primary key pk and every
// index entry that points to it.
func removeInvocation(tx *bolt.Tx, pk []byte) error {
	records := tx.Bucket([]byte(bucketInvocations))
	data := records.Get(pk)
	if data == nil {
		return nil
	}
	var r invocation.Record
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("decode invocation %q: %w", pk, err)
	}
	for _, e := range indexEntries(r) {
		if err := tx.Bucket([]byte(e.bucket)).Delete([]byte(e.key)); err != nil {
			return err
		}
	}
	byID := tx.Bucket([]byte(bucketInvocationsByID))
	if bytes.Equal(byID.Get([]byte(r.ID)), pk) {
		if err := byID.Delete([]byte(r.ID)); err != nil {
			return err
		}
	}
	return records.Delete(pk)
}

// scanDown visits the keys of b in [lower, upper) from the highest down,
// until visit says to stop.
func scanDown(b *bolt.Bucket, lower, upper string, visit func(k, v []byte) (bool, error)) error {
	if lower >= upper {
		return nil
	}
	c := b.Cursor()
	k, v := c.Seek([]byte(upper))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && string(k) >= lower; k, v = c.Prev() {
		more, err := visit(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// inUTC returns r with every time in UTC, without touching the caller's
// slices.
func inUTC(r invocation.Record) invocation.Record {
	r.Timestamp = r.Timestamp.UTC()
	r.ExpiresAt = r.ExpiresAt.UTC()
	r.Attempts = slices.Clone(r.Attempts)
	for i := range r.Attempts {
		r.Attempts[i].StartedAt = r.Attempts[i].StartedAt.UTC()
	}
	return r
}
