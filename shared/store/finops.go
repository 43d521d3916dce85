package store

import (
	"context"
	"time"

	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/budget"
)

// Budgets keeps budgets and their counters. Every counter is per budget and
// period (the period is part of its key: nothing resets them), in
// pico-dollars, and holds two figures: spent (settled calls) and committed
// (spent plus what calls in flight have reserved).
type Budgets interface {
	// PutBudget creates or replaces a budget's definition, with the version
	// rules of PutFunction; changing a limit takes effect for the next
	// reservation, counters stay.
	PutBudget(ctx context.Context, b budget.Budget, expect int64) (budget.Budget, bool, error)
	// GetBudget fails with fault.ErrNotFound for an unknown budget.
	GetBudget(ctx context.Context, ref budget.Ref) (budget.Budget, error)
	// ListBudgets returns every budget ordered by scope, then ID.
	ListBudgets(ctx context.Context) ([]budget.Budget, error)
	// DeleteBudget removes a definition (its counters stay, unused);
	// fault.ErrNotFound if none.
	DeleteBudget(ctx context.Context, ref budget.Ref, expect int64) error

	// Reserve adds r.AmountPico to the committed spend of every charge's
	// budget period, all or none, each with one conditional write that
	// fails when committed + amount would pass the charge's limit (the
	// limit is inclusive). A refusal is a *budget.ExceededError naming the
	// budget. The reservation is kept until Settle, or until
	// SweepReservations releases it after r.ExpiresAt.
	Reserve(ctx context.Context, r budget.Reservation) error
	// Settle replaces the reservation by the call's actual cost in every
	// charge (spent += actual; committed += actual - reserved) and returns
	// the thresholds each budget's spent crossed with it. Settling a
	// reservation that was already settled or swept changes nothing and
	// returns no crossing.
	Settle(ctx context.Context, r budget.Reservation, actualPico int64) ([]budget.Crossing, error)
	// SweepReservations releases every reservation whose ExpiresAt is before
	// now (committed -= amount), exactly once each, and reports how many.
	SweepReservations(ctx context.Context, now time.Time) (int, error)
	// BudgetUsage returns the state of each budget in its period containing
	// at, in the order given (a budget nothing was charged to shows zeros).
	BudgetUsage(ctx context.Context, budgets []budget.Budget, at time.Time) ([]budget.Usage, error)
}

// Alerts keeps the budget alerts sent.
type Alerts interface {
	// PutAlert records an alert once per ID (budget, period, threshold): it
	// reports false, changing nothing, when the alert was already recorded,
	// so that of two concurrent crossings exactly one sends it.
	PutAlert(ctx context.Context, a budget.Alert) (bool, error)
	// ListAlerts returns the alerts recorded at or after since, newest
	// first, at most limit.
	ListAlerts(ctx context.Context, since time.Time, limit int) ([]budget.Alert, error)
}

// Anomalies keeps the spend anomalies found.
type Anomalies interface {
	// PutAnomaly records an anomaly once per ID: false when it was already
	// recorded.
	PutAnomaly(ctx context.Context, a anomaly.Anomaly) (bool, error)
	// ListAnomalies returns the anomalies of hours at or after since, newest
	// first, at most limit.
	ListAnomalies(ctx context.Context, since time.Time, limit int) ([]anomaly.Anomaly, error)
}
