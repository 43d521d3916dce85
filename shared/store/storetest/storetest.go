// Package storetest is the contract suite of store.Store. Every
// implementation runs it from its own tests, so that the embedded store a
// developer runs locally and the DynamoDB store in the cloud cannot drift
// apart: each promise in store.go's doc comments has a test here.
package storetest

import (
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/store"
)

// Now is the clock every store under test must use. open must build the store
// with a clock that returns Now (embedded.WithClock(storetest.Now),
// dynamo.WithClock(storetest.Now)): expiry is decided against the store's
// clock, and a fixed instant keeps those tests deterministic. It lies in the
// future so that a real DynamoDB TTL sweeper leaves the suite's records alone.
func Now() time.Time {
	return time.Date(2031, time.March, 14, 15, 9, 26, 535897932, time.UTC)
}

// Run runs the contract suite. open must return a new, empty store for every
// call, whose clock is Now, and release it with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("functions", func(t *testing.T) { testFunctions(t, open) })
	t.Run("policies", func(t *testing.T) { testPolicies(t, open) })
	t.Run("activation", func(t *testing.T) { testActivation(t, open) })
	t.Run("keys", func(t *testing.T) { testKeys(t, open) })
	t.Run("invocations", func(t *testing.T) { testInvocations(t, open) })
	t.Run("listing", func(t *testing.T) { testListing(t, open) })
	t.Run("concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("costs", func(t *testing.T) { testCosts(t, open) })
	t.Run("rate cards", func(t *testing.T) { testRateCards(t, open) })
	t.Run("models", func(t *testing.T) { testModels(t, open) })
	t.Run("budgets", func(t *testing.T) { testBudgets(t, open) })
	t.Run("anomalies", func(t *testing.T) { testAnomalies(t, open) })
}
