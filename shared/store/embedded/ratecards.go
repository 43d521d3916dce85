package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/store"
)

// historyKey orders a key's cards by fetch time: key \x00 fetched \x00 version.
func historyKey(c pricing.Card) []byte {
	return []byte(c.KeyOf().String() + sep + c.FetchedAt.UTC().Format("20060102T150405.000000000Z") + sep + c.Version)
}

// PutRateCard implements store.RateCards.
func (s *Store) PutRateCard(ctx context.Context, c pricing.Card) (bool, error) {
	if err := store.CheckCard(c); err != nil {
		return false, fmt.Errorf("put rate card: %w", err)
	}
	key := c.KeyOf().String()
	data, err := json.Marshal(c)
	if err != nil {
		return false, fmt.Errorf("encode rate card %s: %w", key, err)
	}
	changed := false
	err = s.db.Update(func(tx *bolt.Tx) error {
		cur := tx.Bucket([]byte(bucketRateCards))
		if v := cur.Get([]byte(key)); v != nil {
			var old pricing.Card
			if err := json.Unmarshal(v, &old); err != nil {
				return fmt.Errorf("decode rate card %s: %w", key, err)
			}
			if old.Version == c.Version {
				return nil
			}
		}
		changed = true
		if err := tx.Bucket([]byte(bucketRateCardHistory)).Put(historyKey(c), data); err != nil {
			return err
		}
		return cur.Put([]byte(key), data)
	})
	if err != nil {
		return false, fmt.Errorf("put rate card %s: %w", key, err)
	}
	return changed, nil
}

// CurrentRateCards implements store.RateCards.
func (s *Store) CurrentRateCards(ctx context.Context) ([]pricing.Card, error) {
	cards, err := list[pricing.Card](s.db, bucketRateCards)
	if err != nil {
		return nil, fmt.Errorf("list rate cards: %w", err)
	}
	return cards, nil
}

// RateCardHistory implements store.RateCards.
func (s *Store) RateCardHistory(ctx context.Context, k pricing.Key) ([]pricing.Card, error) {
	var out []pricing.Card
	prefix := []byte(k.String() + sep)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucketRateCardHistory)).Cursor()
		for hk, v := c.Seek(prefix); hk != nil && bytes.HasPrefix(hk, prefix); hk, v = c.Next() {
			var card pricing.Card
			if err := json.Unmarshal(v, &card); err != nil {
				return fmt.Errorf("decode rate card %q: %w", hk, err)
			}
			out = append(out, card)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rate card history of %s: %w", k, err)
	}
	// Stored oldest first; the contract is newest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
