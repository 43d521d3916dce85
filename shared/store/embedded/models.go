package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/store"
)

// Models are keyed function \x00 deployment; the history appends \x00 and
// the version, zero-padded so that keys sort by version.
func modelKey(function, deployment string) string { return function + sep + deployment }

func modelHistoryKey(m predict.Model) []byte {
	return fmt.Appendf(nil, "%s%s%020d", modelKey(m.Function, m.Deployment), sep, m.Version)
}

// PutModel implements store.Models.
func (s *Store) PutModel(ctx context.Context, m predict.Model, replaces int64) (predict.Model, error) {
	if err := store.CheckModel(m, replaces); err != nil {
		return predict.Model{}, fmt.Errorf("put model: %w", err)
	}
	key := modelKey(m.Function, m.Deployment)
	m.Version = replaces + 1
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, found, err := getJSON[predict.Model](tx, bucketModels, key)
		if err != nil {
			return err
		}
		if stored := old.Version; (found && stored != replaces) || (!found && replaces != 0) {
			return store.ModelMoved(m.Function, m.Deployment, stored, replaces)
		}
		data, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode model: %w", err)
		}
		if err := tx.Bucket([]byte(bucketModelHistory)).Put(modelHistoryKey(m), data); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketModels)).Put([]byte(key), data)
	})
	if err != nil {
		return predict.Model{}, fmt.Errorf("put model of %s/%s: %w", m.Function, m.Deployment, err)
	}
	return m, nil
}

// CurrentModels implements store.Models.
func (s *Store) CurrentModels(ctx context.Context, function string) ([]predict.Model, error) {
	out, err := s.scanModels(bucketModels, []byte(function+sep), 0, false)
	if err != nil {
		return nil, fmt.Errorf("models of %q: %w", function, err)
	}
	return out, nil
}

// ModelHistory implements store.Models.
func (s *Store) ModelHistory(ctx context.Context, function, deployment string, limit int) ([]predict.Model, error) {
	out, err := s.scanModels(bucketModelHistory, []byte(modelKey(function, deployment)+sep), limit, true)
	if err != nil {
		return nil, fmt.Errorf("model history of %s/%s: %w", function, deployment, err)
	}
	return out, nil
}

// scanModels decodes the models under prefix in key order, or newest first
// (backwards) when reverse, at most limit (<= 0: all).
func (s *Store) scanModels(bucket string, prefix []byte, limit int, reverse bool) ([]predict.Model, error) {
	var out []predict.Model
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucket)).Cursor()
		k, v := c.Seek(prefix)
		step := c.Next
		if reverse {
			// Seek to just past the prefix, then walk back.
			end := append(bytes.Clone(prefix), 0xff)
			if k, v = c.Seek(end); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
			step = c.Prev
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = step() {
			var m predict.Model
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode model %q: %w", k, err)
			}
			out = append(out, m)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	return out, err
}
