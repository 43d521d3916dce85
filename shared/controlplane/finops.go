package controlplane

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/fiso-dev/fiso/shared/store"
)

// FinOpsReport is what one run of the hourly FinOps job did.
type FinOpsReport struct {
	// Swept counts the expired budget reservations released.
	Swept int `json:"swept"`
}

// FinOpsJob is the hourly FinOps work (functions/finops): it releases
// budget reservations whose calls never settled.
type FinOpsJob struct {
	Store  store.Store
	Now    func() time.Time
	Logger *slog.Logger
}

// NewFinOpsJob assembles the hourly FinOps job on st, which the caller
// closes.
func NewFinOpsJob(_ context.Context, _ Config, st store.Store, opts Options) (*FinOpsJob, error) {
	opts = opts.withDefaults()
	return &FinOpsJob{Store: st, Now: opts.Now, Logger: opts.Logger}, nil
}

// Run does one hour's work.
func (j *FinOpsJob) Run(ctx context.Context) (FinOpsReport, error) {
	var r FinOpsReport
	n, err := j.Store.SweepReservations(ctx, j.Now())
	if err != nil {
		return r, fmt.Errorf("sweep expired budget reservations: %w", err)
	}
	r.Swept = n
	if n > 0 {
		j.Logger.Warn("released expired budget reservations: their calls never settled", slog.Int("count", n))
	}
	return r, nil
}
