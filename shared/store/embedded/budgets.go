package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// Budget buckets (see the package doc for the layout):
//
//	budgets              scope \x00 id -> budget.Budget
//	budget_counters      scope \x00 id \x00 period -> {"s": spent, "c": committed}
//	budget_reservations  TimeKey(ExpiresAt) \x00 id -> budget.Reservation
//	alerts               id -> budget.Alert
//	alerts_by_time       TimeKey(At) \x00 id -> empty
//
// Every operation on counters is one bbolt transaction, which makes it
// atomic and serial: a reservation checks and adds to every counter it
// charges, and writes its record, or does nothing. The writes on the call
// path (Reserve, Settle, PutAlert) go through the group committer, so that
// concurrent calls share an fsync.
const (
	bucketBudgets        = "budgets"
	bucketBudgetCounters = "budget_counters"
	bucketReservations   = "budget_reservations"
	bucketAlerts         = "alerts"
	bucketAlertsByTime   = "alerts_by_time"
)

func budgetKey(r budget.Ref) string { return string(r.Scope) + sep + r.ID }

func counterKey(c budget.Charge) string { return budgetKey(c.Budget) + sep + c.Period }

// reservationKey orders reservations by expiry, so that a sweep reads only
// the expired ones.
func reservationKey(r budget.Reservation) string { return store.TimeKey(r.ExpiresAt) + sep + r.ID }

// counter is one budget period's spend, in pico-dollars.
type counter struct {
	Spent     int64 `json:"s"`
	Committed int64 `json:"c"`
}

// PutBudget implements store.Budgets.
func (s *Store) PutBudget(ctx context.Context, b budget.Budget, expect int64) (budget.Budget, bool, error) {
	if err := store.CheckBudgetRef(b.Ref()); err != nil {
		return budget.Budget{}, false, fmt.Errorf("put budget: %w", err)
	}
	key := budgetKey(b.Ref())
	var created bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, found, err := getJSON[budget.Budget](tx, bucketBudgets, key)
		if err != nil {
			return err
		}
		if err := store.CheckVersion("budget", b.Ref().String(), found, old.Version, expect); err != nil {
			return err
		}
		created = !found
		b.UpdatedAt = b.UpdatedAt.UTC()
		b.CreatedAt = b.UpdatedAt
		if found {
			b.CreatedAt = old.CreatedAt
		}
		b.Version = old.Version + 1
		return putJSON(tx, bucketBudgets, key, b)
	})
	if err != nil {
		return budget.Budget{}, false, fmt.Errorf("put budget %s: %w", b.Ref(), err)
	}
	return b, created, nil
}

// GetBudget implements store.Budgets.
func (s *Store) GetBudget(ctx context.Context, ref budget.Ref) (budget.Budget, error) {
	var b budget.Budget
	err := s.db.View(func(tx *bolt.Tx) error {
		var found bool
		var err error
		b, found, err = getJSON[budget.Budget](tx, bucketBudgets, budgetKey(ref))
		if err == nil && !found {
			err = store.NotFound("budget", ref.String())
		}
		return err
	})
	if err != nil {
		return budget.Budget{}, fmt.Errorf("get budget %s: %w", ref, err)
	}
	return b, nil
}

// ListBudgets implements store.Budgets: keys sort by scope, then ID.
func (s *Store) ListBudgets(ctx context.Context) ([]budget.Budget, error) {
	bs, err := list[budget.Budget](s.db, bucketBudgets)
	if err != nil {
		return nil, fmt.Errorf("list budgets: %w", err)
	}
	return bs, nil
}

// DeleteBudget implements store.Budgets.
func (s *Store) DeleteBudget(ctx context.Context, ref budget.Ref, expect int64) error {
	key := budgetKey(ref)
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, found, err := getJSON[budget.Budget](tx, bucketBudgets, key)
		switch {
		case err != nil:
			return err
		case !found:
			return store.NotFound("budget", ref.String())
		}
		if err := store.CheckVersion("budget", ref.String(), true, b.Version, expect); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketBudgets)).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("delete budget %s: %w", ref, err)
	}
	return nil
}

func getCounter(tx *bolt.Tx, key string) (counter, error) {
	n, _, err := getJSON[counter](tx, bucketBudgetCounters, key)
	return n, err
}

// Reserve implements store.Budgets in one transaction: every charge is
// checked, in order, before any is added to, so the first (narrowest)
// budget that cannot take the amount is the one a refusal names.
func (s *Store) Reserve(ctx context.Context, r budget.Reservation) error {
	if err := store.CheckReservation(r); err != nil {
		return fmt.Errorf("reserve: %w", err)
	}
	if len(r.Charges) == 0 {
		return nil
	}
	key := reservationKey(r)
	var refused *budget.ExceededError
	err := s.log.write(func(tx *bolt.Tx) error {
		refused = nil // the committer may run this twice
		if tx.Bucket([]byte(bucketReservations)).Get([]byte(key)) != nil {
			return fault.Conflict("reservation %q is already held", r.ID)
		}
		counters := make([]counter, len(r.Charges))
		for i, c := range r.Charges {
			n, err := getCounter(tx, counterKey(c))
			if err != nil {
				return err
			}
			if !store.Admits(c, n.Committed, r.AmountPico) {
				// A refusal writes nothing, and is no error of the
				// transaction: the other writes of its group stay.
				refused = store.Exceeded(c, r.AmountPico, n.Spent, n.Committed)
				return nil
			}
			counters[i] = n
		}
		for i, c := range r.Charges {
			counters[i].Committed += r.AmountPico
			if err := putJSON(tx, bucketBudgetCounters, counterKey(c), counters[i]); err != nil {
				return err
			}
		}
		return putJSON(tx, bucketReservations, key, r)
	})
	if err == nil && refused != nil {
		err = refused
	}
	if err != nil {
		return fmt.Errorf("reserve for %s: %w", r.ID, err)
	}
	return nil
}

// Settle implements store.Budgets in one transaction, from the reservation
// as stored.
func (s *Store) Settle(ctx context.Context, r budget.Reservation, actualPico int64) ([]budget.Crossing, error) {
	if err := store.CheckReservation(r); err != nil {
		return nil, fmt.Errorf("settle: %w", err)
	}
	if err := store.CheckActual(actualPico); err != nil {
		return nil, fmt.Errorf("settle %s: %w", r.ID, err)
	}
	key := reservationKey(r)
	var crossings []budget.Crossing
	err := s.log.write(func(tx *bolt.Tx) error {
		crossings = nil
		held, found, err := getJSON[budget.Reservation](tx, bucketReservations, key)
		if err != nil || !found {
			return err // not found: settled or swept before
		}
		if err := tx.Bucket([]byte(bucketReservations)).Delete([]byte(key)); err != nil {
			return err
		}
		for _, c := range held.Charges {
			n, err := getCounter(tx, counterKey(c))
			if err != nil {
				return err
			}
			before := n.Spent
			n.Spent += actualPico
			n.Committed += actualPico - held.AmountPico
			if err := putJSON(tx, bucketBudgetCounters, counterKey(c), n); err != nil {
				return err
			}
			crossings = append(crossings, c.Crossed(before, n.Spent)...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("settle %s: %w", r.ID, err)
	}
	return crossings, nil
}

// SweepReservations implements store.Budgets in one transaction: the
// reservations bucket is ordered by expiry, so it reads only expired ones.
func (s *Store) SweepReservations(ctx context.Context, now time.Time) (int, error) {
	bound := []byte(store.TimeKey(now))
	var swept int
	err := s.db.Update(func(tx *bolt.Tx) error {
		swept = 0
		b := tx.Bucket([]byte(bucketReservations))
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, bound) < 0; k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			held, _, err := getJSON[budget.Reservation](tx, bucketReservations, string(k))
			if err != nil {
				return err
			}
			for _, ch := range held.Charges {
				n, err := getCounter(tx, counterKey(ch))
				if err != nil {
					return err
				}
				n.Committed -= held.AmountPico
				if err := putJSON(tx, bucketBudgetCounters, counterKey(ch), n); err != nil {
					return err
				}
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			swept++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep budget reservations: %w", err)
	}
	return swept, nil
}

// BudgetUsage implements store.Budgets.
func (s *Store) BudgetUsage(ctx context.Context, budgets []budget.Budget, at time.Time) ([]budget.Usage, error) {
	out := make([]budget.Usage, 0, len(budgets))
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, b := range budgets {
			period, _, _ := budget.Window(b.Period, at)
			n, err := getCounter(tx, counterKey(budget.Charge{Budget: b.Ref(), Period: period}))
			if err != nil {
				return err
			}
			out = append(out, store.UsageOf(b, at, n.Spent, n.Committed))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("budget usage: %w", err)
	}
	return out, nil
}

// PutAlert implements store.Alerts.
func (s *Store) PutAlert(ctx context.Context, a budget.Alert) (bool, error) {
	if err := store.CheckKeyPart("id", a.ID); err != nil {
		return false, fmt.Errorf("put alert: %w", err)
	}
	a.At = a.At.UTC()
	data, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("put alert %q: encode: %w", a.ID, err)
	}
	var first bool
	err = s.log.write(func(tx *bolt.Tx) error {
		first = false
		alerts := tx.Bucket([]byte(bucketAlerts))
		if alerts.Get([]byte(a.ID)) != nil {
			return nil
		}
		if err := alerts.Put([]byte(a.ID), data); err != nil {
			return err
		}
		first = true
		return tx.Bucket([]byte(bucketAlertsByTime)).Put([]byte(store.TimeKey(a.At)+sep+a.ID), nil)
	})
	if err != nil {
		return false, fmt.Errorf("put alert %q: %w", a.ID, err)
	}
	return first, nil
}

// ListAlerts implements store.Alerts: the by-time index read backwards.
func (s *Store) ListAlerts(ctx context.Context, since time.Time, limit int) ([]budget.Alert, error) {
	bound := []byte(store.TimeKey(since))
	var out []budget.Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucketAlertsByTime)).Cursor()
		for k, _ := c.Last(); k != nil && bytes.Compare(k, bound) >= 0; k, _ = c.Prev() {
			_, id, _ := bytes.Cut(k, []byte(sep))
			a, found, err := getJSON[budget.Alert](tx, bucketAlerts, string(id))
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("alert %q is indexed but not stored", id)
			}
			out = append(out, a)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return out, nil
}
