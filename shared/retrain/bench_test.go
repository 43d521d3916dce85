package retrain_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/retrain"
)

// BenchmarkTrain1M is a retrain of one function from 1M log records (one
// attempt each, over three deployments): sort, features, then champion /
// challenger per deployment. Reading the records from the store is not in
// it.
func BenchmarkTrain1M(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(1, 1))
	deployments := []string{"aws-us-east-1", "gcp-us-central1", "azure-eastus"}
	regions := []string{"us-east-1", "us-central1", "eastus"}
	base := make([]retrain.Observation, n)
	at := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	for i := range base {
		at = at.Add(time.Duration(rng.IntN(1200)) * time.Millisecond)
		d := rng.IntN(3)
		cold := rng.IntN(20) == 0
		base[i] = retrain.Observation{
			Deployment: deployments[d], Region: regions[d], UserRegion: "us-east-1", At: at,
			DurationMs: float64(40*(d+1)) * (1 + 0.1*rng.NormFloat64()), PayloadBytes: rng.IntN(8192),
			ColdStart: &cold, OK: true, Answered: true,
		}
	}
	// Records come newest first from the store.
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		base[i], base[j] = base[j], base[i]
	}
	obs := make([]retrain.Observation, n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		copy(obs, base)
		for d, s := range retrain.Samples(obs) {
			if _, err := predict.Challenge(nil, "f", d, s, predict.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/train")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
