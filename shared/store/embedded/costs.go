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

// counts is one aggregate as stored: a dimension's value on one day (or,
// with only c and n, in one hour).
type counts struct {
	PicoUSD       int64 `json:"c"`
	Invocations   int64 `json:"n"`
	Errors        int64 `json:"e"`
	Unpriced      int64 `json:"u"`
	Baseline      int64 `json:"b,omitempty"`
	BaselineCalls int64 `json:"bn,omitempty"`
	Saved         int64 `json:"bs,omitempty"`
}

func (c counts) delta() store.CostDelta {
	return store.CostDelta{
		PicoUSD: c.PicoUSD, Invocations: c.Invocations, Errors: c.Errors, Unpriced: c.Unpriced,
		BaselinePicoUSD: c.Baseline, BaselineCalls: c.BaselineCalls, SavedPicoUSD: c.Saved,
	}
}

func (c *counts) add(d store.CostDelta) {
	c.PicoUSD += d.PicoUSD
	c.Invocations += d.Invocations
	c.Errors += d.Errors
	c.Unpriced += d.Unpriced
	c.Baseline += d.BaselinePicoUSD
	c.BaselineCalls += d.BaselineCalls
	c.Saved += d.SavedPicoUSD
}

// costKey is dimension \\x00 day \\x00 value, so a day of one dimension is a
// prefix scan.
func costKey(dim store.Dimension, day time.Time, value string) []byte {
	return []byte(string(dim) + sep + day.Format(time.DateOnly) + sep + value)
}

// hourlyPrefix starts the keys of the hourly counters, in the same bucket:
// "H" \x00 dimension \x00 value \x00 YYYY-MM-DDTHH. No dimension is named
// H, so a day's prefix scan never meets them, and one value's hours are a
// range in time order.
const hourlyPrefix = "H" + sep

const hourFormat = "2006-01-02T15"

func hourlyKey(dim store.Dimension, value string, hour time.Time) []byte {
	return []byte(hourlyPrefix + string(dim) + sep + value + sep + hour.UTC().Format(hourFormat))
}

// addCosts counts a new record in the aggregates, daily and hourly, inside
// its write transaction.
func addCosts(tx *bolt.Tx, r invocation.Record) error {
	b := tx.Bucket([]byte(bucketCosts))
	day := store.Day(r.Timestamp)
	for _, d := range store.CostDeltas(r) {
		if err := addCounts(b, costKey(d.Dimension, day, d.Value), d); err != nil {
			return err
		}
	}
	hour := store.Hour(r.Timestamp)
	for _, d := range store.HourlyDeltas(r) {
		if err := addCounts(b, hourlyKey(d.Dimension, d.Value, hour), d); err != nil {
			return err
		}
	}
	return nil
}

// addCounts adds d to the counters stored at k.
func addCounts(b *bolt.Bucket, k []byte, d store.CostDelta) error {
	var c counts
	if v := b.Get(k); v != nil {
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode cost aggregate %q: %w", k, err)
		}
	}
	c.add(d)
	v, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode cost aggregate: %w", err)
	}
	if err := b.Put(k, v); err != nil {
		return fmt.Errorf("write cost aggregate %q: %w", k, err)
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

// HourlyCosts implements store.Costs: one range scan of the value's hours.
func (s *Store) HourlyCosts(ctx context.Context, dim store.Dimension, value string, from, to time.Time) ([]store.HourlyCost, error) {
	first, end, err := store.HourlyRange(dim, value, from, to)
	if err != nil {
		return nil, fmt.Errorf("hourly costs of %s %q: %w", dim, value, err)
	}
	if err := s.log.flush(); err != nil {
		return nil, fmt.Errorf("hourly costs of %s %q: %w", dim, value, err)
	}
	prefix := hourlyKey(dim, value, time.Time{})
	prefix = prefix[:len(prefix)-len(hourFormat)]
	lo, hi := hourlyKey(dim, value, first), hourlyKey(dim, value, end)
	var hours store.Hours
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucketCosts)).Cursor()
		for k, v := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, v = c.Next() {
			// A value holding the separator could sort among these keys;
			// only this value's hours count.
			hour, err := time.Parse(hourFormat, string(bytes.TrimPrefix(k, prefix)))
			if !bytes.HasPrefix(k, prefix) || err != nil {
				continue
			}
			var n counts
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("decode cost aggregate %q: %w", k, err)
			}
			hours.Add(hour, n.PicoUSD, n.Invocations)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hourly costs of %s %q: %w", dim, value, err)
	}
	return hours.Rows(), nil
}
