package controlplane

import (
	"context"

	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/retrain"
	"github.com/fiso-dev/fiso/shared/store"
)

// NewRetrainJob assembles the scheduled training (functions/retrain and
// `fiso retrain`) on st, which the caller closes.
func NewRetrainJob(ctx context.Context, cfg Config, st store.Store, opts Options) (*retrain.Trainer, error) {
	opts = opts.withDefaults()
	awsCfg, err := awsConfig(ctx, opts.AWS)
	if err != nil {
		return nil, err
	}
	return &retrain.Trainer{
		Store:      st,
		Events:     publisher(cfg, awsCfg, opts.Logger),
		Window:     cfg.RetrainWindow,
		MaxRecords: cfg.RetrainMaxRecords,
		Fit:        predict.Options{MinSamples: cfg.RetrainMinSamples, Now: opts.Now},
		Now:        opts.Now,
		Logger:     opts.Logger,
	}, nil
}
