// Package devclouds puts FISO's sample workload on local "clouds": the Lambda
// Invoke API in front of the real aws-lambda-go handler, the Azure host in
// front of the real custom handler, and the real GCP function. fiso dev
// serves them from child processes; tests and benchmarks serve them
// in-process on loopback through Start.
package devclouds

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/functions/samples/gcp"
	"github.com/fiso-dev/fiso/functions/samples/sample"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/localcloud"
)

// The sample's names and places on the local clouds.
const (
	LambdaName = "fiso-sample"
	Account    = "000000000000"
	LambdaARN  = "arn:aws:lambda:us-east-1:" + Account + ":function:" + LambdaName
)

// Region is the region a local cloud pretends to be in.
func Region(p catalog.Provider) string {
	switch p {
	case catalog.AWS:
		return "us-east-1"
	case catalog.Azure:
		return "eastus"
	}
	return "us-central1"
}

// AWS is the local Lambda service with the sample registered.
func AWS() (http.Handler, error) {
	api := localcloud.NewLambdaAPI(localcloud.WithAccount(Account))
	if err := api.Register(LambdaName, localcloud.LambdaFunction{NewHandler: localcloud.HandlerOf(sample.HandleLambda), MemoryMB: 128}); err != nil {
		return nil, fmt.Errorf("register the sample on the local Lambda: %w", err)
	}
	return api, nil
}

// Azure is the local Azure host checking key in front of the sample's custom handler.
func Azure(key string) (http.Handler, error) {
	h, err := localcloud.NewAzureHost(key, sample.AzureHandler())
	if err != nil {
		return nil, fmt.Errorf("local Azure host: %w", err)
	}
	return h, nil
}

// Function is the sample function deployed at the given base URLs. The Azure
// deployment reads its function key from the environment variable keyEnv.
func Function(name string, base map[catalog.Provider]string, keyEnv string) catalog.Function {
	f := catalog.Function{
		Name:        name,
		Description: "FISO sample workload on local clouds",
		Deployments: []catalog.Deployment{
			{ID: "aws-us-east-1", Provider: catalog.AWS, Region: Region(catalog.AWS), Target: LambdaARN, MemoryMB: 128},
			{ID: "gcp-us-central1", Provider: catalog.GCP, Region: Region(catalog.GCP), Target: base[catalog.GCP] + "/", MemoryMB: 256},
			{ID: "azure-eastus", Provider: catalog.Azure, Region: Region(catalog.Azure), Target: base[catalog.Azure] + "/api/sample",
				CredentialRef: "env:" + keyEnv},
		},
	}
	f.Normalize()
	return f
}

// Clouds are the three local clouds served in-process.
type Clouds struct {
	AzureKey string
	servers  map[catalog.Provider]*httptest.Server
	delays   map[catalog.Provider]*atomic.Int64
}

// delayed adds a settable delay in front of a handler.
func delayed(next http.Handler, d *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wait := time.Duration(d.Load()); wait > 0 {
			select {
			case <-time.After(wait):
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Start serves the three clouds on loopback until the test ends. The GCP
// function is served directly: functions-framework-go can only serve one
// process-wide registry, which fiso dev's child process uses for real.
func Start(tb testing.TB, azureKey string) *Clouds {
	tb.Helper()
	awsH, err := AWS()
	if err != nil {
		tb.Fatal(err)
	}
	azH, err := Azure(azureKey)
	if err != nil {
		tb.Fatal(err)
	}
	handlers := map[catalog.Provider]http.Handler{catalog.AWS: awsH, catalog.Azure: azH, catalog.GCP: http.HandlerFunc(gcp.Sample)}
	c := &Clouds{AzureKey: azureKey, servers: map[catalog.Provider]*httptest.Server{}, delays: map[catalog.Provider]*atomic.Int64{}}
	for p, h := range handlers {
		c.delays[p] = &atomic.Int64{}
		c.servers[p] = httptest.NewServer(delayed(h, c.delays[p]))
	}
	tb.Cleanup(func() {
		for _, s := range c.servers {
			s.Close()
		}
	})
	return c
}

// URL is the base URL of a provider's cloud.
func (c *Clouds) URL(p catalog.Provider) string { return c.servers[p].URL }

// URLs are every cloud's base URL.
func (c *Clouds) URLs() map[catalog.Provider]string {
	out := map[catalog.Provider]string{}
	for p, s := range c.servers {
		out[p] = s.URL
	}
	return out
}

// Stop takes a cloud down: its port refuses connections from now on.
func (c *Clouds) Stop(p catalog.Provider) {
	s := c.servers[p]
	s.CloseClientConnections()
	s.Close()
}

// Slow makes a cloud's answers take d longer.
func (c *Clouds) Slow(p catalog.Provider, d time.Duration) { c.delays[p].Store(int64(d)) }
