package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/devclouds"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/retrain"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/dynamo"
)

// What fiso dev seeds.
const (
	sampleFunction   = "sample"
	seedPolicy       = "default-cost-saver"
	devAzureKeyEnv   = "FISO_SECRET_DEV_AZURE_FUNCTION_KEY"
	bootstrapKeyName = "fiso-dev-bootstrap"
	operatorKeyName  = "fiso-dev-admin"
)

// runDev is `make run`: the same control plane as the Lambda, on an embedded
// store, with the sample function deployed on three local clouds.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	controlplane.TuneGC(os.Getenv)
	logger := newLogger(stderr)
	cfg, err := controlplane.FromEnv(os.Getenv, controlplane.Defaults())
	if err != nil {
		return err
	}
	addr := envOr("FISO_ADDR", "127.0.0.1:8080")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set FISO_ADDR to use another address): %w", addr, err)
	}
	defer ln.Close()

	runDir := filepath.Join(cfg.DataDir, "run")
	if err := os.MkdirAll(runDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", runDir, err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the fiso binary to start the local clouds: %w", err)
	}
	azureKey, err := randomHex(24)
	if err != nil {
		return err
	}
	// The control plane resolves the Azure deployment's credential_ref
	// (env:FISO_SECRET_DEV_AZURE_FUNCTION_KEY) from this process's environment.
	if err := os.Setenv(devAzureKeyEnv, azureKey); err != nil {
		return fmt.Errorf("set %s: %w", devAzureKeyEnv, err)
	}
	sup := newSupervisor(self, runDir, logger)
	defer sup.stopAll()
	for _, p := range catalog.Providers() {
		if err := sup.start(p, devclouds.Region(p)); err != nil {
			return err
		}
	}
	if cfg.LambdaEndpoint == "" {
		cfg.LambdaEndpoint = "http://" + sup.addr(catalog.AWS)
	}

	awsCfg := aws.Config{Region: devclouds.Region(catalog.AWS), Credentials: credentials.NewStaticCredentialsProvider("fiso-dev", "fiso-dev", "")}
	if cfg.Store == controlplane.StoreDynamoDB {
		if err := createTables(ctx, cfg, awsCfg); err != nil {
			return err
		}
	}
	cp, err := controlplane.New(ctx, cfg, controlplane.Options{AWS: &awsCfg, Logger: logger, Version: version})
	if err != nil {
		return err
	}
	defer cp.Close()

	if err := seed(ctx, cp.Store, sup, time.Now()); err != nil {
		return err
	}
	key, generated, err := bootstrapKey(ctx, cp.Store, time.Now())
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(runDir, "dev.pid"), strconv.Itoa(os.Getpid())); err != nil {
		return err
	}
	defer os.Remove(filepath.Join(runDir, "dev.pid"))

	srv := &http.Server{Handler: cp.Handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	active := seedPolicy
	if f, err := cp.Store.GetFunction(ctx, sampleFunction); err == nil {
		active = f.ActivePolicy
	}
	printBanner(stdout, "http://"+ln.Addr().String(), cfg, sup, active, key, generated)

	restart := make(chan os.Signal, 1)
	signal.Notify(restart, syscall.SIGUSR1)
	defer signal.Stop(restart)
	purge := time.NewTicker(time.Hour)
	defer purge.Stop()
	purgeExpired(ctx, cp, logger)
	trainer, err := controlplane.NewRetrainJob(ctx, cfg, cp.Raw, controlplane.Options{AWS: &awsCfg, Logger: logger})
	if err != nil {
		return err
	}
	// The hourly FinOps job (functions/finops in the cloud): release the
	// budget reservations of calls that never settled, look for spend
	// anomalies and alert on them.
	finops, err := controlplane.NewFinOpsJob(ctx, cfg, cp.Raw, controlplane.Options{AWS: &awsCfg, Logger: logger})
	if err != nil {
		return err
	}
	var training sync.Mutex
	defer func() { training.Lock() }() // let a run in progress finish (it stops with ctx) before the store closes
	var retrainTick <-chan time.Time
	if cfg.RetrainInterval > 0 {
		t := time.NewTicker(cfg.RetrainInterval)
		defer t.Stop()
		retrainTick = t.C
	}
	for {
		select {
		case err := <-served:
			return fmt.Errorf("serve %s: %w", addr, err)
		case <-restart:
			sup.restartStopped()
		case <-purge.C:
			purgeExpired(ctx, cp, logger)
			if r, err := finops.Run(ctx); err != nil {
				logger.Warn("finops job", slog.Any("error", err))
			} else if r.Swept > 0 || r.New > 0 {
				logger.Info("finops job", slog.Int("reservations_released", r.Swept), slog.Int("new_anomalies", r.New))
			}
		case <-retrainTick:
			// In the background, one run at a time: a long run must not hold
			// up shutdown or the other ticks.
			if training.TryLock() {
				go func() {
					defer training.Unlock()
					retrainNow(ctx, trainer, cp, logger)
				}()
			}
		case <-ctx.Done():
			logger.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				return fmt.Errorf("shut down: %w", err)
			}
			return nil
		}
	}
}

// seed deploys the sample function on the local clouds (their ports change
// on every start), creates the seed design's policy when it is missing and
// activates it when the function has no active policy. It never overwrites
// a policy the user changed.
func seed(ctx context.Context, st store.Store, sup *supervisor, now time.Time) error {
	base := map[catalog.Provider]string{}
	for _, p := range catalog.Providers() {
		base[p] = "http://" + sup.addr(p)
	}
	want := devclouds.Function(sampleFunction, base, devAzureKeyEnv)
	want.Description = "FISO sample workload on fiso dev's three local clouds (its deployments are rewritten at every start)"
	want.UpdatedAt = now.UTC()
	if err := want.Validate(); err != nil {
		return fmt.Errorf("seed function %q: %w", want.Name, err)
	}
	have, err := st.GetFunction(ctx, want.Name)
	switch {
	case errors.Is(err, fault.ErrNotFound) || (err == nil && !slices.Equal(have.Deployments, want.Deployments)):
		if _, _, err := st.PutFunction(ctx, want, store.AnyVersion); err != nil {
			return fmt.Errorf("seed function %q: %w", want.Name, err)
		}
	case err != nil:
		return fmt.Errorf("seed function %q: %w", want.Name, err)
	}

	if _, err := st.GetPolicy(ctx, seedPolicy); errors.Is(err, fault.ErrNotFound) {
		p := policy.Policy{
			Name: seedPolicy, Function: sampleFunction, Strategy: policy.Static, DefaultProvider: catalog.AWS,
			Failover: []catalog.Provider{catalog.GCP, catalog.Azure}, UpdatedAt: now.UTC(),
		}
		if _, _, err := st.PutPolicy(ctx, p, store.AnyVersion); err != nil {
			return fmt.Errorf("seed policy %q: %w", seedPolicy, err)
		}
	} else if err != nil {
		return fmt.Errorf("seed policy %q: %w", seedPolicy, err)
	}
	f, err := st.GetFunction(ctx, sampleFunction)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if f.ActivePolicy == "" {
		if _, err := st.ActivatePolicy(ctx, seedPolicy, now); err != nil {
			return fmt.Errorf("seed: activate %q: %w", seedPolicy, err)
		}
	}
	return nil
}

// bootstrapKey makes sure an admin key exists: FISO_ADMIN_KEY when set (so
// scripts can drive fiso dev), else a fresh random key that replaces the
// previous start's. It returns the key and whether it was generated (and so
// must be shown).
func bootstrapKey(ctx context.Context, st store.Store, now time.Time) (string, bool, error) {
	if plaintext := os.Getenv("FISO_ADMIN_KEY"); plaintext != "" {
		k, err := apikey.New(plaintext, operatorKeyName, apikey.Admin, "", now)
		if err != nil {
			return "", false, fmt.Errorf("FISO_ADMIN_KEY: %w", err)
		}
		if err := st.PutKey(ctx, k); err != nil && !errors.Is(err, fault.ErrConflict) {
			return "", false, fmt.Errorf("store FISO_ADMIN_KEY: %w", err)
		}
		return plaintext, false, nil
	}
	plaintext, k, err := apikey.Generate(rand.Reader, bootstrapKeyName, apikey.Admin, "", now)
	if err != nil {
		return "", false, err
	}
	if err := st.PutKey(ctx, k); err != nil {
		return "", false, fmt.Errorf("store the bootstrap key: %w", err)
	}
	keys, err := st.ListKeys(ctx)
	if err != nil {
		return "", false, fmt.Errorf("list keys: %w", err)
	}
	for _, old := range keys {
		if old.Name == bootstrapKeyName && old.ID != k.ID {
			if err := st.DeleteKey(ctx, old.ID); err != nil && !errors.Is(err, fault.ErrNotFound) {
				return "", false, fmt.Errorf("revoke the previous bootstrap key: %w", err)
			}
		}
	}
	return plaintext, true, nil
}

func createTables(ctx context.Context, cfg controlplane.Config, awsCfg aws.Config) error {
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
		}
	})
	if err := dynamo.CreateTables(ctx, client, cfg.DynamoTables()); err != nil {
		return fmt.Errorf("create DynamoDB tables: %w", err)
	}
	return nil
}

type expiringStore interface {
	PurgeExpired(ctx context.Context, now time.Time) (int, error)
}

// purgeExpired applies the log retention to the embedded store (DynamoDB
// does it with its TTL attribute).
func purgeExpired(ctx context.Context, cp *controlplane.ControlPlane, logger *slog.Logger) {
	es, ok := cp.Raw.(expiringStore)
	if !ok {
		return
	}
	n, err := es.PurgeExpired(ctx, time.Now())
	if err != nil {
		logger.Warn("purge expired invocations", slog.Any("error", err))
		return
	}
	if n > 0 {
		logger.Info("purged expired invocations", slog.Int("count", n))
	}
}

// retrainNow runs the scheduled training in process (the cloud runs it as
// functions/retrain) and makes routing read the new models at once.
func retrainNow(ctx context.Context, trainer *retrain.Trainer, cp *controlplane.ControlPlane, logger *slog.Logger) {
	reports, err := trainer.Run(ctx)
	if err != nil {
		logger.Warn("retrain", slog.Any("error", err))
	}
	for _, f := range reports {
		cp.Estimator.Forget(f.Function)
		for _, d := range f.Deployments {
			logger.Info("retrained", slog.String("function", f.Function), slog.String("deployment", d.Deployment),
				slog.String("outcome", d.Outcome), slog.Int("samples", d.Samples), slog.Int64("version", d.Version))
		}
	}
}

func printBanner(w io.Writer, url string, cfg controlplane.Config, sup *supervisor, active, key string, generated bool) {
	storeDesc := "embedded store in " + cfg.DataDir
	if cfg.Store == controlplane.StoreDynamoDB {
		storeDesc = "DynamoDB tables " + cfg.ConfigTable + ", " + cfg.InvocationsTable
	}
	fmt.Fprintf(w, "\nFISO %s is serving on %s (%s)\n\n", version, url, storeDesc)
	fmt.Fprintf(w, "Function %q is deployed on three local clouds:\n", sampleFunction)
	for _, p := range catalog.Providers() {
		fmt.Fprintf(w, "  %-6s %-34s http://%s  (pid %d)\n", p, sup.describe(p), sup.addr(p), sup.pid(p))
	}
	if active == seedPolicy {
		fmt.Fprintf(w, "Active policy %q routes to aws first, then gcp, then azure.\n\n", seedPolicy)
	} else {
		fmt.Fprintf(w, "Active policy: %q (kept from the last run; the seed policy is %q).\n\n", active, seedPolicy)
	}
	if generated {
		fmt.Fprintf(w, "Admin API key (shown once; set FISO_ADMIN_KEY to choose your own):\n  %s\n\n", key)
		fmt.Fprintf(w, "Try it:\n  curl -X POST -H \"Authorization: Bearer %s\" %s/api/v1/orchestrate\n\n", key, url)
	} else {
		fmt.Fprintf(w, "Admin API key: the value of FISO_ADMIN_KEY.\n\n")
		fmt.Fprintf(w, "Try it:\n  curl -X POST -H \"Authorization: Bearer $FISO_ADMIN_KEY\" %s/api/v1/orchestrate\n\n", url)
	}
	self := os.Args[0]
	if env := os.Getenv("FISO_DATA_DIR"); env != "" {
		self = "FISO_DATA_DIR=" + env + " " + self
	}
	fmt.Fprintf(w, "Simulate an outage: %s cloud stop aws   (bring it back: %s cloud start aws)\n", self, self)
	fmt.Fprintf(w, "Invocation log:     curl -H \"Authorization: Bearer <key>\" '%s/v1/invocations?function=%s'\n\n", url, sampleFunction)
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
