package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/store"
)

// The anomalies bucket (created by the first PutAnomaly, so that stores
// opened before it existed need no migration):
//
//	anomalies  TimeKey(Hour) \x00 id -> anomaly.Anomaly
//
// The ID names the hour, so it alone decides the key: recording once per ID
// is a check of that key, and a listing walks the bucket backwards from the
// newest hour down to since.
const bucketAnomalies = "anomalies"

func anomalyKey(a anomaly.Anomaly) []byte { return []byte(store.TimeKey(a.Hour) + sep + a.ID()) }

// PutAnomaly implements store.Anomalies in one transaction, which makes
// the check and the write atomic. The hourly job is its only writer, so it
// does not go through the group committer.
func (s *Store) PutAnomaly(ctx context.Context, a anomaly.Anomaly) (bool, error) {
	if err := store.CheckAnomaly(a); err != nil {
		return false, fmt.Errorf("put anomaly: %w", err)
	}
	a = store.AnomalyOf(a)
	data, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("put anomaly %q: encode: %w", a.ID(), err)
	}
	key := anomalyKey(a)
	var first bool
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketAnomalies))
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketAnomalies, err)
		}
		if b.Get(key) != nil {
			return nil
		}
		first = true
		return b.Put(key, data)
	})
	if err != nil {
		return false, fmt.Errorf("put anomaly %q: %w", a.ID(), err)
	}
	return first, nil
}

// ListAnomalies implements store.Anomalies: the bucket read backwards.
func (s *Store) ListAnomalies(ctx context.Context, since time.Time, limit int) ([]anomaly.Anomaly, error) {
	bound := []byte(store.TimeKey(since))
	var out []anomaly.Anomaly
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketAnomalies))
		if b == nil {
			return nil // nothing recorded yet
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && bytes.Compare(k, bound) >= 0; k, v = c.Prev() {
			var a anomaly.Anomaly
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode %s %q: %w", bucketAnomalies, k, err)
			}
			out = append(out, a)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list anomalies: %w", err)
	}
	return out, nil
}
