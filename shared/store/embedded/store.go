// Package embedded keeps FISO's state in one bbolt file, so that local runs
// ("fiso dev") need no database server. It implements store.Store with the
// same behaviour as store/dynamo: both pass store/storetest.
//
// Layout of dir/fiso.db (every value is JSON unless said otherwise):
//
//	functions              name -> catalog.Function
//	policies               name -> policy.Policy
//	keys                   hash -> apikey.Key with its hash
//	settings               "default_function" -> function name (raw)
//	invocations            function \x00 SortKey -> invocation.Record
//	invocations_by_time    SortKey \x00 function -> empty
//	invocations_by_key     keyID \x00 SortKey \x00 function -> empty
//	invocations_by_id      id -> primary key in invocations (raw)
//	invocations_by_expiry  SortKeyTime(ExpiresAt) \x00 primary key -> empty
//	budgets, budget_counters, budget_reservations, alerts, alerts_by_time:
//	                       see budgets.go
//
// SortKey is invocation.Position.SortKey(): time first, so walking any of the
// invocation buckets backwards lists newest first, and a listing reads only
// the keys of the function, API key or time range it asks for.
package embedded

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/fiso-dev/fiso/shared/store"
)

// FileName is the database file inside the store's directory.
const FileName = "fiso.db"

const (
	bucketFunctions          = "functions"
	bucketPolicies           = "policies"
	bucketKeys               = "keys"
	bucketSettings           = "settings"
	bucketInvocations        = "invocations"
	bucketInvocationsByTime  = "invocations_by_time"
	bucketInvocationsByKey   = "invocations_by_key"
	bucketInvocationsByID    = "invocations_by_id"
	bucketInvocationsExpires = "invocations_by_expiry"
	bucketCosts              = "cost_aggregates"
	bucketRateCards          = "rate_cards"
	bucketRateCardHistory    = "rate_card_history"
	bucketModels             = "models"
	bucketModelHistory       = "model_history"

	settingDefaultFunction = "default_function"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store in a bbolt file. It is safe for concurrent use
// within one process; bbolt's file lock keeps other processes out.
type Store struct {
	db     *bolt.DB
	log    *committer
	now    func() time.Time
	logger *slog.Logger
	// purgeBatch bounds how many records PurgeExpired deletes in one write
	// transaction, so that request writes wait at most that long.
	purgeBatch int
}

// WithLogger sets where failed background commits of the invocation log are
// reported (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) { s.logger = l }
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that decides which invocation records have
// expired (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Open opens the store in dir, creating dir (0700) and dir/fiso.db (0600) if
// needed. It fails within a second, saying so, when another process holds
// the store open.
func Open(dir string, opts ...Option) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create store directory %s: %w", dir, err)
	}
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("the store in %s is in use by another process (is \"fiso dev\" running?): %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{
			bucketFunctions, bucketPolicies, bucketKeys, bucketSettings,
			bucketInvocations, bucketInvocationsByTime, bucketInvocationsByKey,
			bucketInvocationsByID, bucketInvocationsExpires,
			bucketCosts, bucketRateCards, bucketRateCardHistory,
			bucketModels, bucketModelHistory,
			bucketBudgets, bucketBudgetCounters, bucketReservations, bucketAlerts, bucketAlertsByTime,
		} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("prepare store in %s: %w", dir, err)
	}
	s := &Store{db: db, now: time.Now, logger: slog.Default(), purgeBatch: 1000}
	for _, opt := range opts {
		opt(s)
	}
	s.log = newCommitter(db, func(err error) {
		s.logger.Error("invocation log commit failed", slog.Any("error", err))
	})
	return s, nil
}

// Close releases the file and its lock.
func (s *Store) Close() error {
	s.log.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// getJSON reads key from bucket into a T; found is false when it is absent.
func getJSON[T any](tx *bolt.Tx, bucket, key string) (v T, found bool, err error) {
	data := tx.Bucket([]byte(bucket)).Get([]byte(key))
	if data == nil {
		return v, false, nil
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, true, fmt.Errorf("decode %s %q: %w", bucket, key, err)
	}
	return v, true, nil
}

func putJSON(tx *bolt.Tx, bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", bucket, key, err)
	}
	if err := tx.Bucket([]byte(bucket)).Put([]byte(key), data); err != nil {
		return fmt.Errorf("write %s %q: %w", bucket, key, err)
	}
	return nil
}

// list decodes every value of a bucket in key order.
func list[T any](db *bolt.DB, bucket string) ([]T, error) {
	var out []T
	err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucket)).ForEach(func(k, v []byte) error {
			var item T
			if err := json.Unmarshal(v, &item); err != nil {
				return fmt.Errorf("decode %s %q: %w", bucket, k, err)
			}
			out = append(out, item)
			return nil
		})
	})
	return out, err
}
