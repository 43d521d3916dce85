package pricing

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// versionLen is the number of hex digits of a version: 64 bits of SHA-256,
// plenty to tell apart the few cards one key ever has.
const versionLen = 16

// Seal sets c.Version to a short content hash of what prices an invocation:
// provider, plan, region, arch, currency, the tiers of every price, the free
// grants, the billing rules and the effective date, taken from c's canonical
// form. Source, fetch time, quoted texts, source IDs and the billing override
// reason do not count, so an unchanged pull yields the same version, and so
// does the same list with its free allowance shown as a $0 tier.
func (c *Card) Seal() {
	c.Version = c.ContentVersion()
}

// ContentVersion is the version Seal would set, without setting it.
func (c Card) ContentVersion() string {
	sum := sha256.Sum256([]byte(c.Canonical().contentText()))
	return hex.EncodeToString(sum[:])[:versionLen]
}

// contentText is the canonical encoding Seal hashes: one line per fact,
// prices and grants in meter order, floats in their shortest exact form.
func (c Card) contentText() string {
	var b strings.Builder
	line := func(parts ...string) {
		b.WriteString(strings.Join(parts, " "))
		b.WriteByte('\n')
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	line("fiso-rate-card", "v1")
	line("provider", strconv.Quote(string(c.Provider)))
	line("plan", strconv.Quote(string(c.Plan)))
	line("region", strconv.Quote(c.Region))
	line("arch", strconv.Quote(string(c.Arch)))
	line("currency", strconv.Quote(c.Currency))
	prices := slices.Clone(c.Prices)
	slices.SortStableFunc(prices, func(a, b Price) int { return strings.Compare(string(a.Meter), string(b.Meter)) })
	for _, p := range prices {
		line("price", strconv.Quote(string(p.Meter)), strconv.Itoa(len(p.Tiers)))
		for _, t := range p.Tiers {
			line("tier", num(t.From), num(t.To), num(t.USDPerUnit))
		}
	}
	grants := slices.Clone(c.FreeGrants)
	slices.SortStableFunc(grants, func(a, b Grant) int { return strings.Compare(string(a.Meter), string(b.Meter)) })
	for _, g := range grants {
		line("grant", strconv.Quote(string(g.Meter)), num(g.Units))
	}
	bl := c.Billing
	line("billing", num(bl.MinDurationMs), num(bl.StepMs), strconv.Itoa(bl.MemoryStepMB), strconv.Itoa(bl.MinMemoryMB), strconv.FormatBool(bl.BillsObservedMemory))
	line("effective", c.EffectiveDate.UTC().Format(time.RFC3339Nano))
	return b.String()
}
