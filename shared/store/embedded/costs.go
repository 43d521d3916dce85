package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store"
)

// counts is one aggregate as stored: a dimension's value on one day.
type counts struct {
	PicoUSD     int64 `json:"c"`
	Invocations int64 `json:"n"`
	Errors      int64 `json:"e"`
	Unpriced    int64 `json:"u"`
}

func (c counts) delta() store.CostDelta {
	return store.CostDelta{PicoUSD: c.PicoUSD, Invocations: c.Invocations, Errors: c.Errors, Unpriced: c.Unpriced}
}

// costKey is dimension \\x00 day \\x00 value, so a day of one dimension is a
// prefix scan.
func costKey(dim store.Dimension, day time.Time, value string) []byte {
	return []byte(string(dim) + sep + day.Format(time.DateOnly) + sep + value)
}

// addCosts counts a new record in the aggregates, inside its write
// transaction.
func addCosts(tx *bolt.Tx, r invocation.Record) error {
	b := tx.Bucket([]byte(bucketCosts))
	day := store.Day(r.Timestamp)
	for _, d := range store.CostDeltas(r) {
		k := costKey(d.Dimension, day, d.Value)
		var c counts
		if v := b.Get(k); v != nil {
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode cost aggregate %q: %w", k, err)
			}
		}
		c.PicoUSD += d.PicoUSD
		c.Invocations += d.Invocations
		c.Errors += d.Errors
		c.Unpriced += d.Unpriced
		v, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode cost aggregate: %w", err)
		}
		if err := b.Put(k, v); err != nil {
			return err
		}
	}
	return nil
}

// CostTotals implements store.Costs: one prefix scan per day.
func (s *Store) CostTotals(ctx context.Context, q store.CostQuery) ([]store.CostRow, error) {
	days, err := q.Days()
	if err != nil {
		return nil, fmt.Errorf("cost totals: %w", err)
	}
	if err := s.log.flush(); err != nil {
		return nil, fmt.Errorf("cost totals: %w", err)
	}
	var totals store.Totals
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucketCosts)).Cursor()
		for _, day := range days {
			prefix := costKey(q.GroupBy, day, "")
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				var n counts
				if err := json.Unmarshal(v, &n); err != nil {
					return fmt.Errorf("decode cost aggregate %q: %w", k, err)
				}
				group := string(k[len(prefix):])
				if q.GroupBy == store.ByDay {
					group = day.Format(time.DateOnly)
				}
				totals.Add(group, n.delta())
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cost totals: %w", err)
	}
	return totals.Rows(), nil
}
