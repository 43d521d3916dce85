package controlplane

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseventbridge "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/eventbus/eventbridge"
	"github.com/fiso-dev/fiso/shared/pricepull"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/awsprice"
	"github.com/fiso-dev/fiso/shared/pricing/azureprice"
	"github.com/fiso-dev/fiso/shared/pricing/gcpprice"
	"github.com/fiso-dev/fiso/shared/secret"
	"github.com/fiso-dev/fiso/shared/store"
)

// PricingJob is the scheduled price pull (functions/pricing) and
// `fiso pricing pull`: it prices every region FISO has deployments in or
// built-in cards for.
type PricingJob struct {
	Puller  *pricepull.Puller
	Store   store.Store
	regions map[catalog.Provider][]string
	logger  *slog.Logger
}

// NewPricingJob assembles the job on st (which the caller closes).
func NewPricingJob(ctx context.Context, cfg Config, st store.Store, opts Options) (*PricingJob, error) {
	opts = opts.withDefaults()
	awsCfg, err := awsConfig(ctx, opts.AWS)
	if err != nil {
		return nil, err
	}
	sources := map[catalog.Provider]pricepull.Source{
		catalog.AWS:   &awsprice.Fetcher{BaseURL: cfg.PricingAWSURL, Now: opts.Now},
		catalog.Azure: &azureprice.Fetcher{BaseURL: cfg.PricingAzureURL, Now: opts.Now},
	}
	if cfg.PricingGCPKeyRef != "" {
		sm := secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) {
			if cfg.SecretsManagerEndpoint != "" {
				o.BaseEndpoint = aws.String(cfg.SecretsManagerEndpoint)
			}
		})
		key, err := secret.NewResolver(sm).Resolve(ctx, cfg.PricingGCPKeyRef)
		if err != nil {
			return nil, fmt.Errorf("the Cloud Billing API key (FISO_PRICING_GCP_KEY_REF): %w", err)
		}
		sources[catalog.GCP] = &gcpprice.Fetcher{BaseURL: cfg.PricingGCPURL, APIKey: key.Reveal(), Now: opts.Now}
	} else {
		opts.Logger.Warn("GCP prices are not pulled: set FISO_PRICING_GCP_KEY_REF to a Cloud Billing API key reference; the built-in GCP cards stay in force")
	}
	events := publisher(cfg, awsCfg, opts.Logger)
	return &PricingJob{
		Puller:  &pricepull.Puller{Sources: sources, Store: st, Events: events, Accept: cfg.PricingAccept, Now: opts.Now, Logger: opts.Logger},
		Store:   st,
		regions: cfg.PricingRegions,
		logger:  opts.Logger,
	}, nil
}

// Run pulls once for every region FISO needs.
func (j *PricingJob) Run(ctx context.Context) ([]pricepull.Result, error) {
	regions := j.regions
	if len(regions) == 0 {
		fns, err := j.Store.ListFunctions(ctx)
		if err != nil {
			return nil, fmt.Errorf("list functions for their regions: %w", err)
		}
		regions = pricepull.RegionsToPull(fns, pricing.Defaults())
	}
	results, err := j.Puller.Pull(ctx, regions)
	counts := map[pricepull.Outcome]int{}
	for _, r := range results {
		counts[r.Outcome]++
	}
	j.logger.Info("rate card pull", slog.Int("changed", counts[pricepull.Changed]), slog.Int("unchanged", counts[pricepull.Unchanged]),
		slog.Int("rejected", counts[pricepull.Rejected]), slog.Int("failed", counts[pricepull.Failed]))
	return results, err
}

// Publisher sends FISO's events.
type Publisher interface {
	Publish(ctx context.Context, events ...eventbus.Event) error
}

// publisher is the configured event bus, or the log without one.
func publisher(cfg Config, awsCfg aws.Config, logger *slog.Logger) Publisher {
	if cfg.EventBus == "" {
		return eventbus.Log{Logger: logger}
	}
	eb := awseventbridge.NewFromConfig(awsCfg, func(o *awseventbridge.Options) {
		if cfg.EventsEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.EventsEndpoint)
		}
	})
	return eventbridge.New(eb, cfg.EventBus)
}
