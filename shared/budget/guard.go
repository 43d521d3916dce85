package budget

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fiso-dev/fiso/shared/cache"
)

// Ledger is where budgets and their counters live (a store).
type Ledger interface {
	ListBudgets(ctx context.Context) ([]Budget, error)
	Reserve(ctx context.Context, r Reservation) error
	Settle(ctx context.Context, r Reservation, actualPico int64) ([]Crossing, error)
}

// Alerter is told of the thresholds a settlement crossed.
type Alerter interface {
	Alert(ctx context.Context, crossings []Crossing)
}

// Guard holds calls to their budgets: Reserve before a call, Settle after.
// It is safe for concurrent use.
type Guard struct {
	ledger  Ledger
	alerter Alerter
	budgets *cache.TTL[[]Budget]
	opts    GuardOptions

	// refused remembers the budget periods whose refusal this process
	// has alerted, so that only the first refusal writes an alert.
	mu      sync.Mutex
	refused map[string]bool
}

// GuardOptions tune a Guard. Zero values take the defaults.
type GuardOptions struct {
	// CacheTTL is how long the list of budgets is cached (default 5s): a
	// budget created or changed elsewhere applies within it.
	CacheTTL time.Duration
	// HoldFor is how long a reservation lives before a sweeper may release
	// it (default 2m: well past any call's timeout).
	HoldFor time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// NewGuard returns a Guard over the ledger; alerter may be nil.
func NewGuard(ledger Ledger, alerter Alerter, opts GuardOptions) *Guard {
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 5 * time.Second
	}
	if opts.HoldFor <= 0 {
		opts.HoldFor = 2 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Guard{ledger: ledger, alerter: alerter, budgets: cache.New[[]Budget](opts.CacheTTL, 1, opts.Now), opts: opts, refused: map[string]bool{}}
}

// Applicable returns the budgets that apply to s, narrowest first (none:
// the call is not held).
func (g *Guard) Applicable(ctx context.Context, s Subject) ([]Budget, error) {
	all, err := g.budgets.Get(ctx, "all", g.ledger.ListBudgets)
	if err != nil {
		return nil, fmt.Errorf("list budgets: %w", err)
	}
	return Applicable(all, s), nil
}

// Hold is a call's reservation; the zero Hold holds nothing.
type Hold struct {
	r Reservation
}

// Held reports whether the hold reserved anything.
func (h Hold) Held() bool { return len(h.r.Charges) > 0 }

// HoldOf is the hold of a reservation taken by other means than a Guard's
// Reserve (another implementation of the orchestrator's Budgets).
func HoldOf(r Reservation) Hold { return Hold{r: r} }

// AmountUSD is what the hold reserved.
func (h Hold) AmountUSD() float64 { return USD(h.r.AmountPico) }

// Reserve holds amountUSD of the call id against budgets (from
// Applicable). It fails with an *ExceededError when a budget would pass
// its limit.
func (g *Guard) Reserve(ctx context.Context, id string, budgets []Budget, amountUSD float64) (Hold, error) {
	if len(budgets) == 0 {
		return Hold{}, nil
	}
	r := NewReservation(id, budgets, amountUSD, g.opts.Now(), g.opts.HoldFor)
	if err := g.ledger.Reserve(ctx, r); err != nil {
		var ee *ExceededError
		if errors.As(err, &ee) {
			g.alertRefusal(ctx, ee)
		}
		return Hold{}, fmt.Errorf("reserve $%.9f for call %s: %w", amountUSD, id, err)
	}
	return Hold{r: r}, nil
}

// alertRefusal alerts a budget's first refusal in a period (as its 100%
// threshold: the store records it once across every process), so that
// the owner hears of refused calls even while settled spend is below the
// limit. A process alerts a budget period once at most.
func (g *Guard) alertRefusal(ctx context.Context, e *ExceededError) {
	if g.alerter == nil {
		return
	}
	key := e.Budget.String() + "/" + e.Period
	g.mu.Lock()
	if g.refused[key] {
		g.mu.Unlock()
		return
	}
	if len(g.refused) > 10_000 { // periods pass; a long-lived process forgets them
		clear(g.refused)
	}
	g.refused[key] = true
	g.mu.Unlock()
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), alertTimeout)
	defer cancel()
	g.alerter.Alert(actx, []Crossing{RefusalOf(e)})
}

// Time bounds of a settlement and of the alerts it sends, each on a
// context of its own: a call's counters must settle even if the caller
// went, and a slow alert must not stop them. Both are long: a store
// saturated by a burst of calls answers slowly, a reservation left
// unsettled holds its budget until the sweeper releases it, and an alert
// not recorded is never sent (the alerter bounds its deliveries itself).
const (
	settleTimeout = 30 * time.Second
	alertTimeout  = 30 * time.Second
)

// Settle replaces the hold by the call's actual cost and sends the alerts
// of the thresholds it crossed. It runs on a context of its own (the
// caller may have gone), bounded by settleTimeout; a failure is logged, and
// the sweeper releases the reservation when it expires.
func (g *Guard) Settle(ctx context.Context, h Hold, actualUSD float64) {
	if !h.Held() {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	crossings, err := g.ledger.Settle(sctx, h.r, PicoUSD(actualUSD))
	if err != nil {
		g.opts.Logger.LogAttrs(ctx, slog.LevelError, "settle budget reservation", slog.String("reservation", h.r.ID), slog.Any("error", err))
		return
	}
	if len(crossings) > 0 && g.alerter != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), alertTimeout)
		defer cancel()
		g.alerter.Alert(actx, crossings)
	}
}

// Forget drops the cached budgets (after a change through this process).
func (g *Guard) Forget() { g.budgets.Purge() }
