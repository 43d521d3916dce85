package pricing

import (
	"math"
	"testing"

	"github.com/fiso-dev/fiso/shared/catalog"
)

// Tolerances of the reference tests: monthly bills to the micro-dollar,
// per-invocation costs relative.
const (
	billTolerance = 5e-7
	costRelTol    = 1e-9
)

func key(p catalog.Provider, plan Plan, region string, arch catalog.Arch) Key {
	return Key{Provider: p, Plan: plan, Region: region, Arch: arch}
}

// defaultCard returns the built-in card of k or fails the test.
func defaultCard(t *testing.T, k Key) Card {
	t.Helper()
	c, ok := Find(Defaults(), k)
	if !ok {
		t.Fatalf("no built-in card %s", k)
	}
	return c
}

// noGrants is c billed as if its free grants were used up elsewhere.
func noGrants(c Card) Card {
	c.FreeGrants = nil
	return c
}

func closeRel(got, want float64) bool {
	if want == 0 {
		return got == 0
	}
	return math.Abs(got-want) <= costRelTol*math.Abs(want)
}

func closeAbs(got, want float64) bool { return math.Abs(got-want) < billTolerance }

// usage of n invocations, as monthly quantities: one invocation's billed
// quantities times n.
func times(t *testing.T, c Card, u Usage, n float64) map[Meter]float64 {
	t.Helper()
	cost, err := c.Cost(u)
	if err != nil {
		t.Fatalf("Cost(%+v): %v", u, err)
	}
	q := make(map[Meter]float64, len(cost.Quantities))
	for m, v := range cost.Quantities {
		q[m] = v * n
	}
	return q
}

var (
	awsUSE1x86 = key(catalog.AWS, Lambda, "us-east-1", catalog.X86_64)
	awsUSE1arm = key(catalog.AWS, Lambda, "us-east-1", catalog.ARM64)
	azConsEast = key(catalog.Azure, Consumption, "eastus", catalog.X86_64)
	azFlexEast = key(catalog.Azure, Flex, "eastus", catalog.X86_64)
	gcpGen1T1  = key(catalog.GCP, Gen1, "us-central1", catalog.X86_64)
	gcpGen1T2  = key(catalog.GCP, Gen1, "asia-east2", catalog.X86_64)
	gcpGen2T1  = key(catalog.GCP, Gen2, "us-central1", catalog.X86_64)
	gcpGen2T2  = key(catalog.GCP, Gen2, "asia-east2", catalog.X86_64)
)
