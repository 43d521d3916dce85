package awsprice

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/pricelist"
)

// offerFile is the part of a service price list file (JSON) that FISO reads.
// https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html
type offerFile struct {
	FormatVersion   string             `json:"formatVersion"`
	OfferCode       string             `json:"offerCode"`
	Version         string             `json:"version"`
	PublicationDate string             `json:"publicationDate"`
	Products        map[string]product `json:"products"`
	// Terms is term type ("OnDemand") -> SKU -> "SKU.offerTermCode" -> term.
	Terms map[string]map[string]map[string]term `json:"terms"`
}

type product struct {
	SKU           string            `json:"sku"`
	ProductFamily string            `json:"productFamily"`
	Attributes    map[string]string `json:"attributes"`
}

type term struct {
	OfferTermCode   string                    `json:"offerTermCode"`
	SKU             string                    `json:"sku"`
	EffectiveDate   string                    `json:"effectiveDate"`
	PriceDimensions map[string]priceDimension `json:"priceDimensions"`
}

type priceDimension struct {
	RateCode     string            `json:"rateCode"`
	Description  string            `json:"description"`
	BeginRange   *string           `json:"beginRange"`
	EndRange     *string           `json:"endRange"`
	Unit         string            `json:"unit"`
	PricePerUnit map[string]string `json:"pricePerUnit"`
}

// meterKey is one priced quantity of one architecture.
type meterKey struct {
	arch  catalog.Arch
	meter pricing.Meter
}

// usage is what a usage type (without its region prefix) prices.
type usage struct {
	key   meterKey
	group string // the product group the usage type belongs to
	units []string
}

// classify maps the base usage types FISO prices; ok is false for the rest.
func classify(base string) (usage, bool) {
	duration := []string{"Lambda-GB-Second"}
	requests := []string{"Request", "Requests"}
	switch base {
	case "Lambda-GB-Second":
		return usage{meterKey{catalog.X86_64, pricing.GBSecond}, "AWS-Lambda-Duration", duration}, true
	case "Lambda-GB-Second-ARM":
		return usage{meterKey{catalog.ARM64, pricing.GBSecond}, "AWS-Lambda-Duration-ARM", duration}, true
	case "Request":
		return usage{meterKey{catalog.X86_64, pricing.Request}, "AWS-Lambda-Requests", requests}, true
	case "Request-ARM":
		return usage{meterKey{catalog.ARM64, pricing.Request}, "AWS-Lambda-Requests-ARM", requests}, true
	}
	return usage{}, false
}

// freeTier maps the account-wide free tier's usage types to meters.
func freeTier(usageType string) (pricing.Meter, bool) {
	switch usageType {
	case "Global-Lambda-GB-Second":
		return pricing.GBSecond, true
	case "Global-Request":
		return pricing.Request, true
	}
	return "", false
}

// baseUsageType strips a region prefix ("EUW2-", "USE1-", "EU-") from a
// usage type. A prefix is upper-case letters and digits, so "Lambda-..." and
// "Request-ARM" are left whole.
func baseUsageType(u string) string {
	i := strings.IndexByte(u, '-')
	if i < 2 || i > 8 {
		return u
	}
	for _, r := range u[:i] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return u
		}
	}
	return u[i+1:]
}

// Parse reads an AWS Lambda offer file (the JSON at
// /offers/v1.0/aws/AWSLambda/current/{region}/index.json, or a saved copy)
// and returns the x86_64 and arm64 Lambda cards of region, with Source
// source and FetchedAt fetchedAt. An empty region means the file's own: the
// regionCode of its Lambda products.
func Parse(r io.Reader, region, source string, fetchedAt time.Time) ([]pricing.Card, error) {
	if region != "" {
		if err := checkRegion(region); err != nil {
			return nil, err
		}
	}
	var doc offerFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode offer file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode offer file: data after the JSON document")
	}
	if doc.OfferCode != "AWSLambda" {
		return nil, fmt.Errorf("offerCode: %q, want \"AWSLambda\"", doc.OfferCode)
	}
	if doc.FormatVersion != "v1.0" {
		return nil, fmt.Errorf("formatVersion: %q, want \"v1.0\"", doc.FormatVersion)
	}
	if doc.Products == nil {
		return nil, errors.New("products: missing")
	}
	onDemand, ok := doc.Terms["OnDemand"]
	if !ok {
		return nil, errors.New("terms.OnDemand: missing")
	}
	if region == "" {
		var err error
		if region, err = fileRegion(doc); err != nil {
			return nil, err
		}
	}

	found := map[meterKey]string{} // meter -> SKU
	grants := map[pricing.Meter]float64{}
	for _, skuID := range sortedKeys(doc.Products) {
		p := doc.Products[skuID]
		ut, hasUT := p.Attributes["usagetype"]
		if !hasUT {
			continue // nothing FISO prices lacks a usage type
		}
		path := fmt.Sprintf("products[%q]", skuID)
		if m, ok := freeTier(ut); ok {
			units, err := freeUnits(onDemand, skuID)
			if err != nil {
				return nil, err
			}
			grants[m] = units
			continue
		}
		u, ok := classify(baseUsageType(ut))
		if !ok {
			continue
		}
		if p.SKU != skuID {
			return nil, fmt.Errorf("%s.sku: %q, want the key %q", path, p.SKU, skuID)
		}
		if g := p.Attributes["group"]; g != u.group {
			return nil, fmt.Errorf("%s.attributes.group: %q, want %q for usagetype %q", path, g, u.group, ut)
		}
		rc, ok := p.Attributes["regionCode"]
		if !ok {
			return nil, fmt.Errorf("%s.attributes.regionCode: missing", path)
		}
		if rc != region {
			return nil, fmt.Errorf("%s.attributes.regionCode: %q, want %q (is the file for another region?)", path, rc, region)
		}
		if prev, dup := found[u.key]; dup {
			return nil, fmt.Errorf("products: SKUs %s and %s both price %s %s", prev, skuID, u.key.arch, u.key.meter)
		}
		found[u.key] = skuID
	}

	var cards []pricing.Card
	for _, arch := range []catalog.Arch{catalog.X86_64, catalog.ARM64} {
		c := pricing.Card{
			Provider:  catalog.AWS,
			Plan:      pricing.Lambda,
			Region:    region,
			Arch:      arch,
			Currency:  "USD",
			Billing:   pricing.BillingOf(pricing.Lambda),
			Source:    source,
			FetchedAt: fetchedAt.UTC(),
		}
		for _, m := range pricing.MetersOf(pricing.Lambda) {
			key := meterKey{arch, m}
			skuID, ok := found[key]
			if !ok {
				return nil, fmt.Errorf("plan %s %s: no %s price in the list (usagetype %s)", pricing.Lambda, arch, m, usageTypeOf(key))
			}
			price, eff, err := priceOf(onDemand, skuID, key)
			if err != nil {
				return nil, err
			}
			c.Prices = append(c.Prices, price)
			if eff.After(c.EffectiveDate) {
				c.EffectiveDate = eff
			}
		}
		// The list's free tier, meter by meter, over the built-in one.
		for _, g := range pricing.FreeGrantsOf(pricing.Lambda) {
			if units, ok := grants[g.Meter]; ok {
				g.Units = units
			}
			c.FreeGrants = append(c.FreeGrants, g)
		}
		if err := pricelist.Finish(&c); err != nil {
			return nil, err
		}
		cards = append(cards, c)
	}
	return cards, nil
}

// fileRegion is the one regionCode of the file's Lambda duration and
// request products.
func fileRegion(doc offerFile) (string, error) {
	regions := map[string]bool{}
	for _, p := range doc.Products {
		if _, ok := classify(baseUsageType(p.Attributes["usagetype"])); ok && p.Attributes["regionCode"] != "" {
			regions[p.Attributes["regionCode"]] = true
		}
	}
	if len(regions) != 1 {
		return "", fmt.Errorf("products: the file's Lambda products name %d regions (%v); say which region to read", len(regions), sortedKeys(regions))
	}
	region := sortedKeys(regions)[0]
	return region, checkRegion(region)
}

// usageTypeOf names the base usage type of a meter, for errors.
func usageTypeOf(k meterKey) string {
	s := "Request"
	if k.meter == pricing.GBSecond {
		s = "Lambda-GB-Second"
	}
	if k.arch == catalog.ARM64 {
		s += "-ARM"
	}
	return s
}

// onlyTerm returns the SKU's single on-demand term.
func onlyTerm(onDemand map[string]map[string]term, skuID string) (string, term, error) {
	terms, ok := onDemand[skuID]
	if !ok || len(terms) == 0 {
		return "", term{}, fmt.Errorf("terms.OnDemand[%q]: missing", skuID)
	}
	if len(terms) > 1 {
		return "", term{}, fmt.Errorf("terms.OnDemand[%q]: %d terms, want 1", skuID, len(terms))
	}
	key := sortedKeys(terms)[0]
	return key, terms[key], nil
}

// tierOf is one price dimension read as a tier.
type tierOf struct {
	pricing.Tier
	rate string
}

// priceOf reads the tiers of an SKU's on-demand term.
func priceOf(onDemand map[string]map[string]term, skuID string, key meterKey) (pricing.Price, time.Time, error) {
	termKey, t, err := onlyTerm(onDemand, skuID)
	if err != nil {
		return pricing.Price{}, time.Time{}, err
	}
	path := fmt.Sprintf("terms.OnDemand[%q][%q]", skuID, termKey)
	eff, err := parseDate(t.EffectiveDate)
	if err != nil {
		return pricing.Price{}, time.Time{}, fmt.Errorf("%s.effectiveDate: %w", path, err)
	}
	if len(t.PriceDimensions) == 0 {
		return pricing.Price{}, time.Time{}, fmt.Errorf("%s.priceDimensions: missing", path)
	}
	u, _ := classify(usageTypeOf(key))
	var tiers []tierOf
	for _, rate := range sortedKeys(t.PriceDimensions) {
		d := t.PriceDimensions[rate]
		dp := fmt.Sprintf("%s.priceDimensions[%q]", path, rate)
		tier, err := readDimension(d, dp, u.units)
		if err != nil {
			return pricing.Price{}, time.Time{}, err
		}
		tiers = append(tiers, tierOf{tier, rate})
	}
	sort.Slice(tiers, func(i, j int) bool { return tiers[i].From < tiers[j].From })
	if err := checkTiers(tiers, path); err != nil {
		return pricing.Price{}, time.Time{}, err
	}
	p := pricing.Price{Meter: key.meter, SourceID: termKey}
	if len(tiers) == 1 {
		p.SourceID = tiers[0].rate
	}
	for i, tr := range tiers {
		if tr.USDPerUnit == 0 {
			// Lambda's regional list has no $0 tiers; a zero price here is a
			// changed list, not a free allowance.
			return pricing.Price{}, time.Time{}, fmt.Errorf("%s.priceDimensions[%q].pricePerUnit.USD: price 0 in tier %d is not a free-tier row", path, tr.rate, i+1)
		}
		p.Tiers = append(p.Tiers, tr.Tier)
	}
	return p, eff, nil
}

// readDimension reads one price dimension; units lists the units it may be in.
func readDimension(d priceDimension, path string, units []string) (pricing.Tier, error) {
	if d.BeginRange == nil {
		return pricing.Tier{}, fmt.Errorf("%s.beginRange: missing", path)
	}
	if d.EndRange == nil {
		return pricing.Tier{}, fmt.Errorf("%s.endRange: missing", path)
	}
	from, err := parseDecimal(*d.BeginRange)
	if err != nil {
		return pricing.Tier{}, fmt.Errorf("%s.beginRange: %w", path, err)
	}
	var to float64
	if *d.EndRange != "Inf" {
		if to, err = parseDecimal(*d.EndRange); err != nil {
			return pricing.Tier{}, fmt.Errorf("%s.endRange: %w", path, err)
		}
		if to <= from {
			return pricing.Tier{}, fmt.Errorf("%s.endRange: %s is not above beginRange %s", path, *d.EndRange, *d.BeginRange)
		}
	}
	if !contains(units, d.Unit) {
		return pricing.Tier{}, fmt.Errorf("%s.unit: %q, want one of %q", path, d.Unit, units)
	}
	usd, ok := d.PricePerUnit["USD"]
	if !ok {
		return pricing.Tier{}, fmt.Errorf("%s.pricePerUnit.USD: missing", path)
	}
	price, err := parseDecimal(usd)
	if err != nil {
		return pricing.Tier{}, fmt.Errorf("%s.pricePerUnit.USD: %w", path, err)
	}
	return pricing.Tier{From: from, To: to, USDPerUnit: price, Quoted: usd + " USD per " + d.Unit}, nil
}

// checkTiers requires tiers (sorted by From) to cover [0, Inf) without gaps.
func checkTiers(tiers []tierOf, path string) error {
	if tiers[0].From != 0 {
		return fmt.Errorf("%s.priceDimensions[%q].beginRange: the first tier starts at %g, not 0", path, tiers[0].rate, tiers[0].From)
	}
	for i := 0; i+1 < len(tiers); i++ {
		if tiers[i].To != tiers[i+1].From {
			return fmt.Errorf("%s.priceDimensions[%q].endRange: %g does not meet the next tier's beginRange %g", path, tiers[i].rate, tiers[i].To, tiers[i+1].From)
		}
	}
	if last := tiers[len(tiers)-1]; last.To != 0 {
		return fmt.Errorf("%s.priceDimensions[%q].endRange: the last tier ends at %g, not Inf", path, last.rate, last.To)
	}
	return nil
}

// freeUnits reads a free-tier SKU: one $0 dimension from 0 up to the
// allowance.
func freeUnits(onDemand map[string]map[string]term, skuID string) (float64, error) {
	termKey, t, err := onlyTerm(onDemand, skuID)
	if err != nil {
		return 0, err
	}
	path := fmt.Sprintf("terms.OnDemand[%q][%q].priceDimensions", skuID, termKey)
	if len(t.PriceDimensions) != 1 {
		return 0, fmt.Errorf("%s: %d dimensions, want 1 for a free tier", path, len(t.PriceDimensions))
	}
	rate := sortedKeys(t.PriceDimensions)[0]
	dp := fmt.Sprintf("%s[%q]", path, rate)
	tier, err := readDimension(t.PriceDimensions[rate], dp, []string{"Lambda-GB-Second", "Request", "Requests"})
	if err != nil {
		return 0, err
	}
	if tier.USDPerUnit != 0 || tier.From != 0 || tier.To == 0 {
		return 0, fmt.Errorf("%s: a free tier is $0 from 0 to a bound, got %s from %g to %g", dp, tier.Quoted, tier.From, tier.To)
	}
	return tier.To, nil
}

// parseDecimal parses a plain non-negative decimal ("0.0000166667",
// "6000000000"); exponents, signs, NaN and Inf are refused.
func parseDecimal(s string) (float64, error) {
	dot, digits := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0 && i < len(s)-1:
			dot = true
		default:
			return 0, fmt.Errorf("%q is not a decimal price", s)
		}
	}
	if digits == 0 {
		return 0, fmt.Errorf("%q is not a decimal price", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a decimal price: %w", s, err)
	}
	return v, nil
}

// parseDate reads the offer file's RFC 3339 timestamps.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
