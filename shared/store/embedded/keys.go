package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// PutKey implements store.Keys.
func (s *Store) PutKey(ctx context.Context, k apikey.Key) error {
	if err := store.CheckKeyPart("hash", k.Hash); err != nil {
		return fmt.Errorf("put api key %q: %w", k.ID, err)
	}
	sk := store.StoreKey(k)
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(bucketKeys)).Get([]byte(k.Hash)) != nil {
			return fault.Conflict("API key %q is already stored", k.ID)
		}
		return putJSON(tx, bucketKeys, k.Hash, sk)
	})
	if err != nil {
		return fmt.Errorf("put api key %q: %w", k.ID, err)
	}
	return nil
}

// KeyByHash implements store.Keys.
func (s *Store) KeyByHash(ctx context.Context, hash string) (apikey.Key, error) {
	var k store.StoredKey
	err := s.db.View(func(tx *bolt.Tx) error {
		var found bool
		var err error
		k, found, err = getJSON[store.StoredKey](tx, bucketKeys, hash)
		if err == nil && !found {
			err = fault.NotFound("no API key has this hash")
		}
		return err
	})
	if err != nil {
		return apikey.Key{}, fmt.Errorf("get api key by hash: %w", err)
	}
	return k.Key(), nil
}

// ListKeys implements store.Keys.
func (s *Store) ListKeys(ctx context.Context) ([]apikey.Key, error) {
	stored, err := list[store.StoredKey](s.db, bucketKeys)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	keys := make([]apikey.Key, len(stored))
	for i, k := range stored {
		keys[i] = k.Key()
	}
	slices.SortFunc(keys, func(a, b apikey.Key) int { return strings.Compare(a.ID, b.ID) })
	return keys, nil
}

// DeleteKey implements store.Keys. Keys are few, so it reads them all rather
// than keeping an index by ID; counting admins in the same transaction keeps
// the last one from going.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketKeys))
		var hashes [][]byte
		admins, deletingAdmin := 0, false
		err := b.ForEach(func(hash, v []byte) error {
			var k store.StoredKey
			if err := json.Unmarshal(v, &k); err != nil {
				return fmt.Errorf("decode api key: %w", err)
			}
			if k.Role == apikey.Admin {
				admins++
			}
			if k.ID == id {
				hashes = append(hashes, slices.Clone(hash))
				deletingAdmin = deletingAdmin || k.Role == apikey.Admin
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(hashes) == 0 {
			return fault.NotFound("API key %q does not exist", id)
		}
		if deletingAdmin && admins <= len(hashes) {
			return store.LastAdminKey(id)
		}
		for _, h := range hashes {
			if err := b.Delete(h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete api key %q: %w", id, err)
	}
	return nil
}
