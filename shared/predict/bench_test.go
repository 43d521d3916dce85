package predict

import (
	"testing"
	"time"
)

func BenchmarkPredict(b *testing.B) {
	m := trained(b)
	f := Features{PayloadBytes: 2048, Hour: 13, Weekday: 2, IdleSeconds: 700, RecentLatencyMs: 85, DistanceKm: 1200}
	b.ReportAllocs()
	var sink Prediction
	for b.Loop() {
		sink = m.Predict(f)
	}
	_ = sink
}

// samples1M are a million generated calls, five seconds apart (58 days).
func samples1M() []Sample {
	return trueWorld().samples(1, 1_000_000, t0, 5*time.Second)
}

func BenchmarkFit1M(b *testing.B) {
	samples := samples1M()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := Fit("fn", "dep", samples, Options{Now: fixedNow}); err != nil {
			b.Fatalf("Fit: %v", err)
		}
	}
	perFit := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(perFit, "s/fit")
	b.ReportMetric(float64(len(samples))/perFit, "records/s")
}

func BenchmarkChallenge1M(b *testing.B) {
	samples := samples1M()
	champion, err := Fit("fn", "dep", samples[:100_000], Options{Now: fixedNow})
	if err != nil {
		b.Fatalf("Fit: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := Challenge(&champion, "fn", "dep", samples, Options{Now: fixedNow}); err != nil {
			b.Fatalf("Challenge: %v", err)
		}
	}
	perRun := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(perRun, "s/challenge")
	b.ReportMetric(float64(len(samples))/perRun, "records/s")
}
