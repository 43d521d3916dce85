// Package controlplane assembles FISO from its parts — store, caches,
// secret resolver, cloud invokers, router, orchestrator, HTTP API — from one
// Config, so the Lambda entry (functions/api) and the local server (fiso dev)
// run exactly the same control plane.
package controlplane

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/secret"
)

// Store kinds.
const (
	StoreEmbedded = "embedded"
	StoreDynamoDB = "dynamodb"
)

// Config is everything the control plane is configured with. FromEnv reads it
// from FISO_* variables; the README lists them.
type Config struct {
	// Store is "embedded" (bbolt file in DataDir) or "dynamodb".
	Store   string
	DataDir string
	// DynamoDBEndpoint overrides the DynamoDB endpoint (local or test servers).
	DynamoDBEndpoint string
	ConfigTable      string
	InvocationsTable string
	AggregatesTable  string
	// LambdaEndpoint overrides the Lambda endpoint (fiso dev's local Lambda).
	LambdaEndpoint string
	// SecretsManagerEndpoint overrides the Secrets Manager endpoint.
	SecretsManagerEndpoint string

	AttemptTimeout time.Duration
	RequestTimeout time.Duration
	CacheTTL       time.Duration
	Retention      time.Duration
	// SecretTTL bounds how long a resolved credential is reused.
	SecretTTL time.Duration

	// The pricing job: price-list origins (empty: the providers' public
	// endpoints), the credential reference of the Cloud Billing API key
	// (empty: GCP prices are not pulled), whether to apply cards whose
	// prices moved by more than half, and the EventBridge bus for events
	// (empty: events are logged).
	PricingAWSURL    string
	PricingAzureURL  string
	PricingGCPURL    string
	PricingGCPKeyRef string
	PricingAccept    bool
	// PricingRegions restricts the pull to these regions per provider
	// ("aws=us-east-1,eu-west-1;azure=eastus"); empty means every region
	// FISO has deployments in or built-in cards for.
	PricingRegions map[catalog.Provider][]string
	EventBus       string
	EventsEndpoint string

	// The predictive engine: how long routing caches a function's models,
	// and the retrain job's window of the log, its bound on records per
	// function and its minimum samples per deployment.
	ModelTTL      time.Duration
	RetrainWindow time.Duration
	// RetrainInterval is how often fiso dev retrains (the cloud's schedule
	// is EventBridge's; 0 turns fiso dev's off).
	RetrainInterval   time.Duration
	RetrainMaxRecords int
	RetrainMinSamples int

	// FinOps: how long a budget reservation outlives its call before the
	// hourly sweep may release it, and the credential reference (env: or
	// secretsmanager:) of a webhook URL that receives every alert (empty:
	// alerts go to the log and the event bus only).
	BudgetHold      time.Duration
	AlertWebhookRef string
}

// Defaults returns the configuration FromEnv starts from.
func Defaults() Config {
	return Config{
		Store:            StoreEmbedded,
		DataDir:          ".fiso",
		ConfigTable:      "fiso-config",
		InvocationsTable: "fiso-invocations",
		AggregatesTable:  "fiso-aggregates",
		AttemptTimeout:   10 * time.Second,
		RequestTimeout:   28 * time.Second,
		CacheTTL:         5 * time.Second,
		Retention:        30 * 24 * time.Hour,
		SecretTTL:        5 * time.Minute,

		ModelTTL:          5 * time.Minute,
		RetrainWindow:     7 * 24 * time.Hour,
		RetrainInterval:   time.Hour,
		RetrainMaxRecords: 1_000_000,
		RetrainMinSamples: 50,

		BudgetHold: 2 * time.Minute,
	}
}

// FromEnv reads the configuration, starting from base for anything unset.
// Every malformed value is reported, by variable name.
func FromEnv(getenv func(string) string, base Config) (Config, error) {
	c := base
	var vs fault.Violations
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	dur := func(name string, dst *time.Duration) {
		v := getenv(name)
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			vs.Add(name, "%q is not a duration such as 500ms, 10s or 2m", v)
			return
		}
		*dst = d
	}
	str("FISO_STORE", &c.Store)
	str("FISO_DATA_DIR", &c.DataDir)
	str("FISO_DYNAMODB_ENDPOINT", &c.DynamoDBEndpoint)
	str("FISO_TABLE_CONFIG", &c.ConfigTable)
	str("FISO_TABLE_INVOCATIONS", &c.InvocationsTable)
	str("FISO_TABLE_AGGREGATES", &c.AggregatesTable)
	str("FISO_LAMBDA_ENDPOINT", &c.LambdaEndpoint)
	str("FISO_SECRETSMANAGER_ENDPOINT", &c.SecretsManagerEndpoint)
	str("FISO_PRICING_AWS_URL", &c.PricingAWSURL)
	str("FISO_PRICING_AZURE_URL", &c.PricingAzureURL)
	str("FISO_PRICING_GCP_URL", &c.PricingGCPURL)
	str("FISO_PRICING_GCP_KEY_REF", &c.PricingGCPKeyRef)
	str("FISO_EVENT_BUS", &c.EventBus)
	str("FISO_EVENTBRIDGE_ENDPOINT", &c.EventsEndpoint)
	str("FISO_ALERT_WEBHOOK_REF", &c.AlertWebhookRef)
	dur("FISO_BUDGET_HOLD", &c.BudgetHold)
	if v := getenv("FISO_PRICING_REGIONS"); v != "" {
		regions, err := parseRegions(v)
		if err != nil {
			vs.Add("FISO_PRICING_REGIONS", "%s", err.Error())
		}
		c.PricingRegions = regions
	}
	if v := getenv("FISO_PRICING_ACCEPT"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			vs.Add("FISO_PRICING_ACCEPT", "%q is not true or false", v)
		}
		c.PricingAccept = b
	}
	dur("FISO_ATTEMPT_TIMEOUT", &c.AttemptTimeout)
	dur("FISO_REQUEST_TIMEOUT", &c.RequestTimeout)
	dur("FISO_CACHE_TTL", &c.CacheTTL)
	dur("FISO_SECRET_TTL", &c.SecretTTL)
	dur("FISO_MODEL_TTL", &c.ModelTTL)
	dur("FISO_RETRAIN_WINDOW", &c.RetrainWindow)
	dur("FISO_RETRAIN_INTERVAL", &c.RetrainInterval)
	for _, p := range []struct {
		name     string
		dst      *int
		min, max int
	}{{"FISO_RETRAIN_MAX_RECORDS", &c.RetrainMaxRecords, 1000, 10_000_000}, {"FISO_RETRAIN_MIN_SAMPLES", &c.RetrainMinSamples, 24, 1_000_000}} {
		if v := getenv(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < p.min || n > p.max {
				vs.Add(p.name, "%q is not a number from %d to %d", v, p.min, p.max)
				continue
			}
			*p.dst = n
		}
	}
	if v := getenv("FISO_LOG_RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			vs.Add("FISO_LOG_RETENTION_DAYS", "%q is not a number of days from 1 to 3650", v)
		} else {
			c.Retention = time.Duration(n) * 24 * time.Hour
		}
	}
	if c.Store != StoreEmbedded && c.Store != StoreDynamoDB {
		vs.Add("FISO_STORE", "%q is not embedded or dynamodb", c.Store)
	}
	if c.AttemptTimeout == 0 {
		vs.Add("FISO_ATTEMPT_TIMEOUT", "must be above zero")
	}
	if c.RequestTimeout == 0 {
		vs.Add("FISO_REQUEST_TIMEOUT", "must be above zero")
	}
	if c.RetrainWindow < time.Hour {
		vs.Add("FISO_RETRAIN_WINDOW", "must be at least 1h")
	}
	if c.BudgetHold <= c.RequestTimeout {
		vs.Add("FISO_BUDGET_HOLD", "must be longer than a request (FISO_REQUEST_TIMEOUT, %s): a reservation must outlive its call", c.RequestTimeout)
	}
	if c.AlertWebhookRef != "" {
		if _, _, err := secret.ParseRef(c.AlertWebhookRef); err != nil {
			vs.Add("FISO_ALERT_WEBHOOK_REF", "%s", err.Error())
		}
	}
	if err := vs.Err(); err != nil {
		return Config{}, fmt.Errorf("read configuration: %w", err)
	}
	return c, nil
}

// parseRegions reads "aws=us-east-1,eu-west-1;azure=eastus".
func parseRegions(v string) (map[catalog.Provider][]string, error) {
	out := map[catalog.Provider][]string{}
	for _, part := range strings.Split(v, ";") {
		name, list, ok := strings.Cut(strings.TrimSpace(part), "=")
		p := catalog.Provider(strings.TrimSpace(name))
		if !ok || !p.Valid() || strings.TrimSpace(list) == "" {
			return nil, fmt.Errorf("%q is not provider=region[,region...] (provider aws, azure or gcp)", part)
		}
		for _, r := range strings.Split(list, ",") {
			if r = strings.TrimSpace(r); r != "" {
				out[p] = append(out[p], r)
			}
		}
	}
	return out, nil
}
