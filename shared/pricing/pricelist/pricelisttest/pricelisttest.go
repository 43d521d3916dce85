// Package pricelisttest is the test scaffolding the three price-list
// fetchers' tests share: reading a saved response and fuzzing a parser. It
// is for _test.go files only.
package pricelisttest

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/pricing"
)

// Fixture is the saved file testdata/name of the package under test.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// Parser is a fetcher package's Parse.
type Parser func(r io.Reader, region, source string, fetchedAt time.Time) ([]pricing.Card, error)

// Fuzz feeds parse the fuzzer's bodies and regions (seed them with f.Add
// first): it must never panic, and what it accepts must be minCards to
// maxCards cards, each passing CheckCard and every one of checks.
func Fuzz(f *testing.F, parse Parser, fetchedAt time.Time, minCards, maxCards int, checks ...func(*testing.T, pricing.Card)) {
	f.Fuzz(func(t *testing.T, body []byte, region string) {
		cards, err := parse(bytes.NewReader(body), region, "fuzz", fetchedAt)
		if err != nil {
			return
		}
		if len(cards) < minCards || len(cards) > maxCards {
			want := fmt.Sprint(minCards)
			if maxCards != minCards {
				want += " to " + fmt.Sprint(maxCards)
			}
			t.Fatalf("got %d cards, want %s", len(cards), want)
		}
		for _, c := range cards {
			CheckCard(t, c)
			for _, check := range checks {
				check(t, c)
			}
		}
	})
}

// CheckCard fails t unless c prices each meter of its plan once, with tiers
// that have a positive, finite price and a finite start, follow on from each
// other and end unbounded.
func CheckCard(t *testing.T, c pricing.Card) {
	t.Helper()
	if len(c.Prices) != len(pricing.MetersOf(c.Plan)) {
		t.Fatalf("%s: %d prices for %d meters", c.KeyOf(), len(c.Prices), len(pricing.MetersOf(c.Plan)))
	}
	for _, p := range c.Prices {
		if len(p.Tiers) == 0 {
			t.Fatalf("%s %s: no tiers", c.KeyOf(), p.Meter)
		}
		for i, tr := range p.Tiers {
			if !(tr.USDPerUnit > 0) || math.IsInf(tr.USDPerUnit, 0) || math.IsInf(tr.From, 0) || math.IsNaN(tr.From) {
				t.Fatalf("%s %s tier %d: %+v", c.KeyOf(), p.Meter, i, tr)
			}
			if i+1 < len(p.Tiers) && tr.To != p.Tiers[i+1].From {
				t.Fatalf("%s %s tier %d: ends at %v, next starts at %v", c.KeyOf(), p.Meter, i, tr.To, p.Tiers[i+1].From)
			}
		}
		if last := p.Tiers[len(p.Tiers)-1]; last.To != 0 {
			t.Fatalf("%s %s: last tier ends at %v", c.KeyOf(), p.Meter, last.To)
		}
	}
}

// CheckGrants fails t unless every free grant of c is a positive, finite
// number of units.
func CheckGrants(t *testing.T, c pricing.Card) {
	t.Helper()
	for _, g := range c.FreeGrants {
		if !(g.Units > 0) || math.IsInf(g.Units, 0) {
			t.Fatalf("%s: grant %+v", c.KeyOf(), g)
		}
	}
}
