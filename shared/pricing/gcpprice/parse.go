package gcpprice

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/pricelist"
)

// skuPage is one response of services.skus.list.
// https://cloud.google.com/billing/docs/reference/rest/v1/services.skus/list
type skuPage struct {
	SKUs          *[]sku `json:"skus"`
	NextPageToken string `json:"nextPageToken"`
}

type sku struct {
	Name        string `json:"name"`
	SkuID       string `json:"skuId"`
	Description string `json:"description"`
	Category    struct {
		ServiceDisplayName string `json:"serviceDisplayName"`
		ResourceFamily     string `json:"resourceFamily"`
		ResourceGroup      string `json:"resourceGroup"`
		UsageType          string `json:"usageType"`
	} `json:"category"`
	ServiceRegions []string      `json:"serviceRegions"`
	PricingInfo    []pricingInfo `json:"pricingInfo"`
}

type pricingInfo struct {
	EffectiveTime     string             `json:"effectiveTime"`
	PricingExpression *pricingExpression `json:"pricingExpression"`
	AggregationInfo   *struct {
		AggregationLevel    string `json:"aggregationLevel"`
		AggregationInterval string `json:"aggregationInterval"`
	} `json:"aggregationInfo"`
}

type pricingExpression struct {
	UsageUnit                string          `json:"usageUnit"`
	UsageUnitDescription     string          `json:"usageUnitDescription"`
	BaseUnit                 string          `json:"baseUnit"`
	BaseUnitConversionFactor json.RawMessage `json:"baseUnitConversionFactor"`
	DisplayQuantity          json.RawMessage `json:"displayQuantity"`
	TieredRates              []tieredRate    `json:"tieredRates"`
}

type tieredRate struct {
	StartUsageAmount json.RawMessage `json:"startUsageAmount"`
	UnitPrice        *money          `json:"unitPrice"`
}

// money is google.type.Money: units is an int64, which JSON carries as a
// string.
type money struct {
	CurrencyCode string          `json:"currencyCode"`
	Units        json.RawMessage `json:"units"`
	Nanos        json.RawMessage `json:"nanos"`
}

func decodePage(r io.Reader) (skuPage, error) {
	var p skuPage
	if err := pricelist.DecodeOne(r, &p); err != nil {
		return skuPage{}, err
	}
	if p.SKUs == nil {
		return skuPage{}, errors.New("skus: missing")
	}
	return p, nil
}

// Parse reads saved services.skus.list responses — one page, or a JSON array
// of pages, of either or both services — and returns region's Gen2 and Gen1
// cards, with Source source and FetchedAt fetchedAt. The region is required:
// a catalog page serves many.
func Parse(r io.Reader, region, source string, fetchedAt time.Time) ([]pricing.Card, error) {
	if err := checkRegion(region); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	pages, array, err := pricelist.Pages(body, decodePage)
	if err != nil {
		return nil, err
	}
	var skus []located
	for i, p := range pages {
		prefix := ""
		if array {
			prefix = fmt.Sprintf("page %d ", i+1)
		}
		skus = append(skus, locate(p, prefix)...)
	}
	return build(skus, region, source, fetchedAt)
}

// located is a SKU with where it was read, for errors ("page 2 skus[7]").
type located struct {
	s    sku
	path string
}

func locate(p skuPage, prefix string) []located {
	out := make([]located, len(*p.SKUs))
	for i, s := range *p.SKUs {
		out[i] = located{s, fmt.Sprintf("%sskus[%d]", prefix, i)}
	}
	return out
}

// meterKey is one priced quantity of one plan.
type meterKey struct {
	plan  pricing.Plan
	meter pricing.Meter
}

// unitOf is what one unit of a meter is in its catalog base unit.
func unitOf(m pricing.Meter) (base string, amount float64) {
	switch m {
	case pricing.GHzSecond:
		return "Hz.s", 1e9
	case pricing.GBSecond, pricing.GiBSecond:
		// GCP's 1st gen "GB-second" is a gibibyte-second, as the catalog bills it.
		return "By.s", 1 << 30
	case pricing.VCPUSecond:
		return "s", 1
	}
	return "count", 1
}

// knownUnit gives a usage unit's base unit and factor, to check what a
// pricing expression says.
func knownUnit(usageUnit string) (string, float64, bool) {
	switch usageUnit {
	case "s":
		return "s", 1, true
	case "h":
		return "s", 3600, true
	case "GHz.s":
		return "Hz.s", 1e9, true
	case "GiBy.s":
		return "By.s", 1 << 30, true
	case "GBy.s":
		return "By.s", 1e9, true
	case "count":
		return "count", 1, true
	}
	return "", 0, false
}

// service is the catalog service a SKU belongs to.
type service int

const (
	otherService service = iota
	functionsService
	runService
)

func serviceOf(s sku) service {
	switch strings.ToLower(s.Category.ServiceDisplayName) {
	case "cloud run functions", "cloud functions":
		return functionsService
	case "cloud run":
		return runService
	}
	return otherService
}

// classify names the plan and meter a SKU prices. pref ranks candidates for
// one meter (0 first): a 2nd gen meter from the functions service beats
// Cloud Run's. ok is false for SKUs FISO ignores.
func classify(s sku) (k meterKey, pref int, ok bool) {
	if s.Category.UsageType != "OnDemand" || s.Category.ResourceFamily == "Network" {
		return meterKey{}, 0, false
	}
	d := strings.ToLower(s.Description)
	for _, w := range []string{"min instance", "min-instance", "minimum instance", "idle", "gpu", "instance-based",
		"always-on", "always on", "always allocated", "egress", "network", "commit", "build", "jobs", "worker pool"} {
		if strings.Contains(d, w) {
			return meterKey{}, 0, false
		}
	}
	if strings.HasPrefix(d, "instances ") {
		return meterKey{}, 0, false
	}
	requestBased := strings.Contains(d, "request-based")
	switch serviceOf(s) {
	case functionsService:
		gen1 := strings.Contains(d, "1st gen")
		switch {
		case d == "invocations" || gen1 && strings.Contains(d, "invocations"):
			return meterKey{pricing.Gen1, pricing.Request}, 0, true
		case strings.HasPrefix(d, "cpu time") || gen1 && strings.Contains(d, "cpu"):
			return meterKey{pricing.Gen1, pricing.GHzSecond}, 0, true
		case strings.HasPrefix(d, "memory time") || gen1 && strings.Contains(d, "memory"):
			return meterKey{pricing.Gen1, pricing.GBSecond}, 0, true
		case strings.Contains(d, "invocations"):
			return meterKey{pricing.Gen2, pricing.Request}, 0, true
		case strings.HasPrefix(d, "cloud run functions cpu") && requestBased:
			return meterKey{pricing.Gen2, pricing.VCPUSecond}, 0, true
		case strings.HasPrefix(d, "cloud run functions memory") && requestBased:
			return meterKey{pricing.Gen2, pricing.GiBSecond}, 0, true
		}
	case runService:
		switch {
		case d == "requests" || strings.HasPrefix(d, "requests "):
			return meterKey{pricing.Gen2, pricing.Request}, 1, true
		case strings.HasPrefix(d, "services cpu") && requestBased || strings.HasPrefix(d, "cpu allocation time"):
			return meterKey{pricing.Gen2, pricing.VCPUSecond}, 1, true
		case strings.HasPrefix(d, "services memory") && requestBased || strings.HasPrefix(d, "memory allocation time"):
			return meterKey{pricing.Gen2, pricing.GiBSecond}, 1, true
		}
	}
	return meterKey{}, 0, false
}

// serves reports whether a SKU prices region's use of meter m.
func serves(s sku, region string, m pricing.Meter) bool {
	for _, r := range s.ServiceRegions {
		if r == region || r == "global" && m == pricing.Request {
			return true
		}
	}
	return false
}

type candidate struct {
	s    sku
	path string
	pref int
}

// describeMeter says what a missing meter is, for errors.
func describeMeter(k meterKey) string {
	switch k {
	case meterKey{pricing.Gen1, pricing.GHzSecond}:
		return `"Cloud Run functions (1st Gen) CPU" or "CPU Time"`
	case meterKey{pricing.Gen1, pricing.GBSecond}:
		return `"Cloud Run functions (1st Gen) Memory" or "Memory Time"`
	case meterKey{pricing.Gen1, pricing.Request}:
		return `"Cloud Run Functions (1st Gen) Invocations" or "Invocations"`
	case meterKey{pricing.Gen2, pricing.VCPUSecond}:
		return `"Cloud Run functions CPU (Request-based billing)", or Cloud Run's "Services CPU (Request-based billing)" or "CPU Allocation Time"`
	case meterKey{pricing.Gen2, pricing.GiBSecond}:
		return `"Cloud Run functions Memory (Request-based billing)", or Cloud Run's "Services Memory (Request-based billing)" or "Memory Allocation Time"`
	}
	return `"Cloud Run Functions Invocations" or Cloud Run's "Requests"`
}

func build(skus []located, region, source string, fetchedAt time.Time) ([]pricing.Card, error) {
	found := map[meterKey][]candidate{}
	for _, l := range skus {
		k, pref, ok := classify(l.s)
		if !ok || !serves(l.s, region, k.meter) {
			continue
		}
		found[k] = append(found[k], candidate{l.s, l.path, pref})
	}

	var (
		cards   []pricing.Card
		missing []string
	)
	for _, plan := range pricing.PlansOf(catalog.GCP) {
		if !offered(found, plan, region) {
			// Not every region has both generations: a plan without a single
			// regional SKU here is not offered here (requests are global).
			missing = append(missing, string(plan))
			continue
		}
		c := pricing.Card{
			Provider:  catalog.GCP,
			Plan:      plan,
			Region:    region,
			Arch:      catalog.X86_64,
			Currency:  "USD",
			Billing:   pricing.BillingOf(plan),
			Source:    source,
			FetchedAt: fetchedAt.UTC(),
		}
		for _, m := range pricing.MetersOf(plan) {
			k := meterKey{plan, m}
			cand, err := choose(found[k], region)
			if err != nil {
				return nil, fmt.Errorf("plan %s %s: %w", plan, m, err)
			}
			if cand == nil {
				return nil, fmt.Errorf("plan %s: no %s price for %s in the list (OnDemand SKU %s)", plan, m, region, describeMeter(k))
			}
			price, grant, eff, err := priceOf(cand.s, cand.path, m)
			if err != nil {
				return nil, err
			}
			pricelist.AddMeter(&c, price, grant, eff)
		}
		if err := pricelist.FinishWithGrants(&c); err != nil {
			return nil, err
		}
		cards = append(cards, c)
	}
	if len(cards) == 0 {
		return nil, fmt.Errorf("no plan (%s) has a regional CPU or memory SKU serving %s", strings.Join(missing, ", "), region)
	}
	return cards, nil
}

// offered reports whether any SKU of plan serves region by name, not only as
// "global".
func offered(found map[meterKey][]candidate, plan pricing.Plan, region string) bool {
	for k, cands := range found {
		if k.plan != plan {
			continue
		}
		for _, c := range cands {
			for _, r := range c.s.ServiceRegions {
				if r == region {
					return true
				}
			}
		}
	}
	return false
}

// choose picks the one SKU for a meter: the best-ranked, and among equals
// the one named for the region; more than one left is an error, never a
// guess between tiers.
func choose(cands []candidate, region string) (*candidate, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	best := cands[0].pref
	for _, c := range cands {
		best = min(best, c.pref)
	}
	var top, named []candidate
	for _, c := range cands {
		if c.pref == best {
			top = append(top, c)
			if strings.HasSuffix(strings.ToLower(c.s.Description), " in "+region) {
				named = append(named, c)
			}
		}
	}
	if len(top) == 1 {
		return &top[0], nil
	}
	if len(named) == 1 {
		return &named[0], nil
	}
	var names []string
	for _, c := range top {
		names = append(names, fmt.Sprintf("%s %s %q", c.path, c.s.Name, c.s.Description))
	}
	return nil, fmt.Errorf("%d SKUs serve %s: %s", len(top), region, strings.Join(names, "; "))
}

// rate is one tiered rate read in the usage unit.
type rate struct {
	start  float64
	price  float64
	quoted string
	path   string
}

// priceOf reads a SKU's current pricing expression as tiers of meter m,
// taking a leading $0 rate as the free grant (in meter units).
func priceOf(s sku, path string, m pricing.Meter) (pricing.Price, float64, time.Time, error) {
	if len(s.PricingInfo) == 0 {
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.pricingInfo: missing", path)
	}
	// The catalog lists the price in force; of several, the latest is.
	var (
		info pricingInfo
		eff  time.Time
		ip   string
	)
	for j, pi := range s.PricingInfo {
		t, err := time.Parse(time.RFC3339Nano, pi.EffectiveTime)
		if err != nil {
			return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.pricingInfo[%d].effectiveTime: %q is not an RFC 3339 time", path, j, pi.EffectiveTime)
		}
		if j == 0 || t.After(eff) {
			info, eff, ip = pi, t.UTC(), fmt.Sprintf("%s.pricingInfo[%d]", path, j)
		}
	}
	pe := info.PricingExpression
	ep := ip + ".pricingExpression"
	if pe == nil {
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s: missing", ep)
	}
	wantBase, meterAmount := unitOf(m)
	if pe.UsageUnit == "" {
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.usageUnit: missing", ep)
	}
	if pe.BaseUnit != wantBase {
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.baseUnit: %q, want %q for %s (usageUnit %q)", ep, pe.BaseUnit, wantBase, m, pe.UsageUnit)
	}
	factor, err := positive(pe.BaseUnitConversionFactor)
	if err != nil {
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.baseUnitConversionFactor: %w", ep, err)
	}
	if kb, kf, ok := knownUnit(pe.UsageUnit); ok && (kb != pe.BaseUnit || kf != factor) {
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.baseUnitConversionFactor: %g %s per %s, want %g %s", ep, factor, pe.BaseUnit, pe.UsageUnit, kf, kb)
	}
	if len(pe.TieredRates) == 0 {
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.tieredRates: missing", ep)
	}
	// A card's tiers and grants count a month of an account's usage.
	if ai := info.AggregationInfo; ai != nil && len(pe.TieredRates) > 1 &&
		(ai.AggregationInterval != "MONTHLY" || ai.AggregationLevel != "ACCOUNT") {
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.aggregationInfo: tiers aggregated %s by %s, want MONTHLY by ACCOUNT", ip, ai.AggregationInterval, ai.AggregationLevel)
	}
	var rates []rate
	for j, tr := range pe.TieredRates {
		rp := fmt.Sprintf("%s.tieredRates[%d]", ep, j)
		r, err := readRate(tr, rp, pe.UsageUnit)
		if err != nil {
			return pricing.Price{}, 0, time.Time{}, err
		}
		rates = append(rates, r)
	}
	sort.SliceStable(rates, func(i, j int) bool { return rates[i].start < rates[j].start })
	if rates[0].start != 0 {
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.startUsageAmount: the first rate starts at %g, not 0", rates[0].path, rates[0].start)
	}
	p := pricing.Price{Meter: m, SourceID: s.Name}
	var grant float64
	for i, r := range rates {
		if i > 0 && r.start == rates[i-1].start {
			return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.startUsageAmount: %g repeats the previous rate's start", r.path, r.start)
		}
		// Usage units to meter units through the base unit; exact where the
		// two are the same unit.
		t := pricing.Tier{From: r.start * factor / meterAmount, USDPerUnit: r.price * meterAmount / factor, Quoted: r.quoted}
		if factor == meterAmount {
			t.From, t.USDPerUnit = r.start, r.price
		}
		if i+1 < len(rates) {
			t.To = rates[i+1].start * factor / meterAmount
			if factor == meterAmount {
				t.To = rates[i+1].start
			}
		}
		if r.price == 0 {
			if i == 0 && t.To > 0 {
				grant = t.To
				continue
			}
			return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.unitPrice: price 0 from %g %s is not a free-tier row", r.path, r.start, pe.UsageUnit)
		}
		if math.IsInf(t.From, 0) || math.IsInf(t.To, 0) || math.IsInf(t.USDPerUnit, 0) || t.USDPerUnit == 0 ||
			i+1 < len(rates) && t.To <= t.From || i > 0 && t.From == 0 {
			return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s: %s from %g %s does not convert to a tier of %s", r.path, r.quoted, r.start, pe.UsageUnit, m)
		}
		p.Tiers = append(p.Tiers, t)
	}
	return p, grant, eff, nil
}

// readRate reads one tiered rate.
func readRate(tr tieredRate, path, usageUnit string) (rate, error) {
	r := rate{path: path}
	if len(tr.StartUsageAmount) > 0 { // proto3 JSON may leave out a zero
		var err error
		if r.start, err = nonNegative(tr.StartUsageAmount); err != nil {
			return rate{}, fmt.Errorf("%s.startUsageAmount: %w", path, err)
		}
	}
	up := tr.UnitPrice
	if up == nil {
		return rate{}, fmt.Errorf("%s.unitPrice: missing", path)
	}
	if up.CurrencyCode != "USD" {
		return rate{}, fmt.Errorf("%s.unitPrice.currencyCode: %q, want \"USD\"", path, up.CurrencyCode)
	}
	units := int64(0)
	if len(up.Units) > 0 {
		var s string
		if err := json.Unmarshal(up.Units, &s); err != nil {
			return rate{}, fmt.Errorf("%s.unitPrice.units: %s is not an int64 in a JSON string", path, truncate(string(up.Units)))
		}
		var err error
		if units, err = strconv.ParseInt(s, 10, 64); err != nil || units < 0 {
			return rate{}, fmt.Errorf("%s.unitPrice.units: %q is not a whole number of dollars", path, truncate(s))
		}
	}
	nanos := int64(0)
	if len(up.Nanos) > 0 {
		var n json.Number
		if err := json.Unmarshal(up.Nanos, &n); err != nil {
			return rate{}, fmt.Errorf("%s.unitPrice.nanos: %s is not a number", path, truncate(string(up.Nanos)))
		}
		var err error
		if nanos, err = strconv.ParseInt(n.String(), 10, 32); err != nil || nanos < 0 || nanos > 999_999_999 {
			return rate{}, fmt.Errorf("%s.unitPrice.nanos: %s is not 0 to 999999999", path, truncate(n.String()))
		}
	}
	text := strconv.FormatInt(units, 10)
	if nanos > 0 {
		text += strings.TrimRight(fmt.Sprintf(".%09d", nanos), "0")
	}
	price, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return rate{}, fmt.Errorf("%s.unitPrice: %s is not a price: %w", path, text, err)
	}
	r.price = price
	r.quoted = text + " USD per " + usageUnit
	return r, nil
}

// nonNegative reads a finite JSON number that is 0 or more.
func nonNegative(raw json.RawMessage) (float64, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil || len(raw) == 0 || raw[0] == '"' {
		return 0, fmt.Errorf("%s is not a number", truncate(string(raw)))
	}
	v, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s is not a finite number of 0 or more", n)
	}
	return v, nil
}

// positive reads a finite JSON number above 0.
func positive(raw json.RawMessage) (float64, error) {
	if len(raw) == 0 {
		return 0, errors.New("missing")
	}
	v, err := nonNegative(raw)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, errors.New("0 is not a conversion factor")
	}
	return v, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
