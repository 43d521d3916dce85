package controlplane

import (
	"errors"
	"math"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(c Config) bool
		bad   []string // variables named in the error
	}{
		{"defaults", nil, func(c Config) bool { return reflect.DeepEqual(c, Defaults()) }, nil},
		{"dynamodb", map[string]string{"FISO_STORE": "dynamodb", "FISO_TABLE_CONFIG": "c", "FISO_TABLE_INVOCATIONS": "i", "FISO_DYNAMODB_ENDPOINT": "http://127.0.0.1:5000"},
			func(c Config) bool {
				return c.Store == StoreDynamoDB && c.ConfigTable == "c" && c.InvocationsTable == "i" && c.DynamoDBEndpoint == "http://127.0.0.1:5000"
			}, nil},
		{"durations and retention", map[string]string{"FISO_ATTEMPT_TIMEOUT": "2s", "FISO_CACHE_TTL": "0s", "FISO_LOG_RETENTION_DAYS": "7"},
			func(c Config) bool {
				return c.AttemptTimeout == 2*time.Second && c.CacheTTL == 0 && c.Retention == 7*24*time.Hour
			}, nil},
		{"pricing", map[string]string{"FISO_PRICING_REGIONS": "aws=us-east-1, eu-west-1; gcp=us-central1", "FISO_PRICING_ACCEPT": "true", "FISO_EVENT_BUS": "fiso"},
			func(c Config) bool {
				return c.PricingAccept && c.EventBus == "fiso" && len(c.PricingRegions) == 2 &&
					strings.Join(c.PricingRegions[catalog.AWS], ",") == "us-east-1,eu-west-1" && c.PricingRegions[catalog.GCP][0] == "us-central1"
			}, nil},
		{"bad pricing settings", map[string]string{"FISO_PRICING_REGIONS": "oracle=x", "FISO_PRICING_ACCEPT": "maybe"}, nil, []string{"FISO_PRICING_REGIONS", "FISO_PRICING_ACCEPT"}},
		{"every mistake at once", map[string]string{"FISO_STORE": "postgres", "FISO_ATTEMPT_TIMEOUT": "ten", "FISO_LOG_RETENTION_DAYS": "0"},
			nil, []string{"FISO_STORE", "FISO_ATTEMPT_TIMEOUT", "FISO_LOG_RETENTION_DAYS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FromEnv(func(k string) string { return tc.env[k] }, Defaults())
			if len(tc.bad) > 0 {
				if !errors.Is(err, fault.ErrInvalid) {
					t.Fatalf("FromEnv = %v, want an invalid-configuration error", err)
				}
				for _, v := range tc.bad {
					if !strings.Contains(err.Error(), v) {
						t.Errorf("error %q does not name %s", err, v)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	tests := []struct {
		name      string
		env       map[string]string
		wantGC    int
		wantLimit int64
	}{
		{"defaults", nil, GCPercent, math.MaxInt64},
		{"lambda", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, GCPercent, 1024 << 20 * 85 / 100},
		{"operator's GOGC wins", map[string]string{"GOGC": "50"}, 100, math.MaxInt64},
		{"operator's GOMEMLIMIT wins", map[string]string{"GOMEMLIMIT": "1GiB", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}, GCPercent, math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			TuneGC(func(k string) string { return tc.env[k] })
			if got := debug.SetGCPercent(100); got != tc.wantGC {
				t.Errorf("GC percent = %d, want %d", got, tc.wantGC)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
				t.Errorf("memory limit = %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
