package controlplane_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
)

// attack sends requests from at most 32 concurrent workers for d, at rps
// requests per second (0: as fast as they are answered), and returns the
// latency distribution.
func attack(b *testing.B, name string, t vegeta.Target, rps int, d time.Duration) vegeta.Metrics {
	b.Helper()
	atk := vegeta.NewAttacker(vegeta.Workers(32), vegeta.MaxWorkers(32), vegeta.KeepAlive(true), vegeta.Connections(64))
	var m vegeta.Metrics
	for res := range atk.Attack(vegeta.NewStaticTargeter(t), vegeta.Rate{Freq: rps, Per: time.Second}, d, name) {
		m.Add(res)
	}
	m.Close()
	if m.Success < 1 {
		b.Fatalf("%s: success ratio %.3f, errors %v", name, m.Success, m.Errors)
	}
	return m
}

func line(name string, m vegeta.Metrics) string {
	l := m.Latencies
	return fmt.Sprintf("%-26s n=%-7d rps=%-8.0f p50=%-9v p90=%-9v p95=%-9v p99=%-9v max=%v",
		name, m.Requests, m.Rate, l.P50.Round(time.Microsecond), l.P90.Round(time.Microsecond), l.P95.Round(time.Microsecond), l.P99.Round(time.Microsecond), l.Max.Round(time.Microsecond))
}

// BenchmarkInvokeOverhead measures what FISO adds to a call: the same local
// target (the sample behind the Azure host, on loopback) called directly and
// through POST /v1/functions/sample/invoke, 32 concurrent callers each.
// FISO's side includes authentication, routing, the HTTP hop to the target
// and the invocation-log write to the embedded store. Target: p99 overhead
// <= 1 ms. Everything (load generator, FISO, target) shares this machine.
func BenchmarkInvokeOverhead(b *testing.B) {
	d := 5 * time.Second
	if v := os.Getenv("FISO_BENCH_DURATION"); v != "" {
		if pd, err := time.ParseDuration(v); err == nil {
			d = pd
		}
	}
	controlplane.TuneGC(os.Getenv) // as functions/api and fiso dev run
	s := newStack(b, embeddedStore, controlplane.Defaults(), nil)
	s.mustCall("PUT", "/v1/policies/azure-first", `{"function":"sample","default_provider":"azure"}`, 201)
	s.mustCall("POST", "/v1/policies/azure-first/activate", ``, 200)
	s.mustCall("POST", "/v1/functions/sample/invoke", `{}`, 200)

	body := []byte(`{"order":42}`)
	direct := vegeta.Target{Method: "POST", URL: s.clouds.URL(catalog.Azure) + "/api/sample", Body: body,
		Header: http.Header{"X-Functions-Key": {s.clouds.AzureKey}, "Content-Type": {"application/json"}}}
	viaFISO := vegeta.Target{Method: "POST", URL: s.url + "/v1/functions/sample/invoke", Body: body,
		Header: http.Header{"Authorization": {"Bearer " + adminKey}, "Content-Type": {"application/json"}}}

	for i := 0; i < b.N; i++ {
		attack(b, "warm-up", direct, 0, time.Second)
		attack(b, "warm-up", viaFISO, 0, time.Second)
		// Paced: 32 workers at a rate both paths sustain, so the difference
		// is FISO's per-call cost. Saturated: 32 workers as fast as answers
		// come, so the difference also holds the queueing that FISO's extra
		// CPU per call causes when load generator, FISO and target share
		// this machine's cores.
		for _, sc := range []struct {
			name string
			rps  int
		}{{"paced 1000/s", 1000}, {"saturated", 0}} {
			md := attack(b, "direct", direct, sc.rps, d)
			mf := attack(b, "via FISO", viaFISO, sc.rps, d)
			over := mf.Latencies.P99 - md.Latencies.P99
			fmt.Printf("\n[%s, 32 workers]\n%s\n%s\n", sc.name, line("direct to target", md), line("via FISO", mf))
			fmt.Printf("p50 overhead %v, p99 overhead %v (target <= 1ms), p99 ratio %.2fx, throughput ratio %.2fx\n",
				(mf.Latencies.P50 - md.Latencies.P50).Round(time.Microsecond), over.Round(time.Microsecond),
				float64(mf.Latencies.P99)/float64(md.Latencies.P99), mf.Rate/md.Rate)
			unit := "-p99-overhead-µs"
			if sc.rps == 0 {
				unit = "saturated" + unit
			} else {
				unit = "paced" + unit
			}
			b.ReportMetric(float64(over.Microseconds()), unit)
		}
		fmt.Println()
	}
}
