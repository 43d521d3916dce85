package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/fiso-dev/fiso/shared/alert"
	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud/awslambda"
	"github.com/fiso-dev/fiso/shared/cloud/azurefunc"
	"github.com/fiso-dev/fiso/shared/cloud/gcpfunc"
	"github.com/fiso-dev/fiso/shared/estimate"
	"github.com/fiso-dev/fiso/shared/httpapi"
	"github.com/fiso-dev/fiso/shared/orchestrator"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/secret"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/cached"
	"github.com/fiso-dev/fiso/shared/store/dynamo"
	"github.com/fiso-dev/fiso/shared/store/embedded"
)

// Options are the dependencies a caller may inject. Zero values take the
// production defaults.
type Options struct {
	// AWS is the SDK configuration; default config.LoadDefaultConfig.
	AWS    *aws.Config
	Logger *slog.Logger
	Now    func() time.Time
	// HTTPClient calls Azure and GCP functions.
	HTTPClient *http.Client
	// Invokers replaces the cloud adapters per provider (benchmarks and
	// tests that measure FISO itself).
	Invokers map[catalog.Provider]orchestrator.Invoker
	// Store replaces the configured store.
	Store   store.Store
	Version string
}

// ControlPlane is an assembled FISO.
type ControlPlane struct {
	// Handler serves the HTTP API.
	Handler http.Handler
	// Store is the (cached) store, for bootstrapping keys and seeding.
	Store store.Store
	// Raw is the store without the cache.
	Raw          store.Store
	Orchestrator *orchestrator.Service
	// Prices is the price book the orchestrator prices invocations with.
	Prices *pricebook.Book
	// Estimator predicts for the routing strategies.
	Estimator *estimate.Estimator
	Routes    []string
}

// New assembles the control plane. Close the returned ControlPlane's store
// when done.
func New(ctx context.Context, cfg Config, opts Options) (*ControlPlane, error) {
	opts = opts.withDefaults()
	if opts.HTTPClient == nil {
		opts.HTTPClient = NewHTTPClient()
	}
	awsCfg, err := awsConfig(ctx, opts.AWS)
	if err != nil {
		return nil, err
	}
	raw := opts.Store
	if raw == nil {
		raw, err = OpenStore(ctx, cfg, awsCfg, opts.Now, opts.Logger)
		if err != nil {
			return nil, err
		}
	}
	st := cached.New(raw, cfg.CacheTTL, opts.Now)

	secrets := secretResolver(cfg, awsCfg, opts)
	invokers := opts.Invokers
	if invokers == nil {
		var lambdaOpts []awslambda.Option
		if cfg.LambdaEndpoint != "" {
			lambdaOpts = append(lambdaOpts, awslambda.WithBaseEndpoint(cfg.LambdaEndpoint))
		}
		invokers = map[catalog.Provider]orchestrator.Invoker{
			catalog.AWS:   awslambda.New(awsCfg, lambdaOpts...),
			catalog.Azure: azurefunc.New(opts.HTTPClient, secrets),
			catalog.GCP:   gcpfunc.New(opts.HTTPClient, secrets),
		}
	}
	guard := budget.NewGuard(raw, alerts(cfg, awsCfg, raw, secrets, opts), budget.GuardOptions{
		CacheTTL: cfg.CacheTTL, HoldFor: cfg.BudgetHold, Now: opts.Now, Logger: opts.Logger,
	})
	book := pricebook.New(raw, pricebook.DefaultTTL, opts.Now).WithLogger(opts.Logger)
	est := estimate.New(raw, book, estimate.Options{ModelTTL: cfg.ModelTTL, Now: opts.Now, Logger: opts.Logger})
	orch := orchestrator.New(st, raw, route.NewRouter(nil), invokers, orchestrator.Options{
		AttemptTimeout: cfg.AttemptTimeout,
		Retention:      cfg.Retention,
		Now:            opts.Now,
		Logger:         opts.Logger,
		Pricer:         book,
		Estimator:      est,
		Budgets:        guard,
	})
	api := httpapi.New(st, orch, httpapi.Options{
		RequestTimeout: cfg.RequestTimeout,
		Now:            opts.Now,
		Logger:         opts.Logger,
		Version:        opts.Version,
		Prices:         book,
		Budgets:        guard,
	})
	return &ControlPlane{Handler: api, Store: st, Raw: raw, Orchestrator: orch, Prices: book, Estimator: est, Routes: api.Routes()}, nil
}

// alerts is the budget alerts' dispatcher: recorded in st, published on
// the event bus (logged without one) and posted to the configured webhook.
func alerts(cfg Config, awsCfg aws.Config, st alert.Store, secrets *secret.Resolver, opts Options) *alert.Dispatcher {
	return &alert.Dispatcher{Store: st, Events: publisher(cfg, awsCfg, opts.Logger), Webhook: webhook(cfg, secrets, opts), Now: opts.Now, Logger: opts.Logger}
}

// webhook is the alert webhook FISO_ALERT_WEBHOOK_REF names, nil without
// one. Its URL is resolved at each post, so a rotated secret is picked up.
func webhook(cfg Config, secrets *secret.Resolver, opts Options) *alert.Webhook {
	ref := cfg.AlertWebhookRef
	if ref == "" {
		return nil
	}
	return &alert.Webhook{
		URL:    func(ctx context.Context) (secret.Value, error) { return secrets.Resolve(ctx, ref) },
		Client: opts.HTTPClient,
	}
}

// secretResolver resolves credential references through Secrets Manager
// (or the environment).
func secretResolver(cfg Config, awsCfg aws.Config, opts Options) *secret.Resolver {
	sm := secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) {
		if cfg.SecretsManagerEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.SecretsManagerEndpoint)
		}
	})
	return secret.NewResolver(sm, secret.WithTTL(cfg.SecretTTL), secret.WithClock(opts.Now))
}

// Close releases the store.
func (c *ControlPlane) Close() error {
	if err := c.Raw.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

func awsConfig(ctx context.Context, given *aws.Config) (aws.Config, error) {
	if given != nil {
		return *given, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// OpenForJob reads a scheduled job's configuration from the environment
// (the DynamoDB store unless FISO_STORE says otherwise) and opens its store,
// uncached: what functions/pricing and functions/retrain start with.
func OpenForJob(ctx context.Context, getenv func(string) string, opts Options) (Config, store.Store, error) {
	base := Defaults()
	base.Store = StoreDynamoDB
	cfg, err := FromEnv(getenv, base)
	if err != nil {
		return Config{}, nil, err
	}
	st, err := Open(ctx, cfg, opts)
	if err != nil {
		return Config{}, nil, err
	}
	return cfg, st, nil
}

// withDefaults fills the logger and clock.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Open opens the store cfg names, uncached, with opts' AWS configuration
// (the environment's when nil), clock and logger.
func Open(ctx context.Context, cfg Config, opts Options) (store.Store, error) {
	awsCfg := aws.Config{}
	if cfg.Store == StoreDynamoDB {
		var err error
		if awsCfg, err = awsConfig(ctx, opts.AWS); err != nil {
			return nil, err
		}
	}
	return OpenStore(ctx, cfg, awsCfg, opts.Now, opts.Logger)
}

// OpenStore opens the store cfg names, uncached. now and logger may be nil.
func OpenStore(ctx context.Context, cfg Config, awsCfg aws.Config, now func() time.Time, logger *slog.Logger) (store.Store, error) {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	switch cfg.Store {
	case StoreEmbedded:
		s, err := embedded.Open(cfg.DataDir, embedded.WithClock(now), embedded.WithLogger(logger))
		if err != nil {
			return nil, fmt.Errorf("open embedded store in %s: %w", cfg.DataDir, err)
		}
		return s, nil
	case StoreDynamoDB:
		client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
			if cfg.DynamoDBEndpoint != "" {
				o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
			}
		})
		return dynamo.New(client, cfg.DynamoTables(), dynamo.WithClock(now)), nil
	}
	return nil, errors.New("unknown store " + cfg.Store)
}

// NewHTTPClient is the client FISO calls HTTP functions with: connection
// reuse sized for fan-out to a few hosts, bounded connect and TLS phases,
// and no overall timeout (each attempt's context bounds it).
func NewHTTPClient() *http.Client {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t}
}

// DynamoTables names the DynamoDB tables of cfg.
func (c Config) DynamoTables() dynamo.Tables {
	return dynamo.Tables{Config: c.ConfigTable, Invocations: c.InvocationsTable, Aggregates: c.AggregatesTable}
}
