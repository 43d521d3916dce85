package azureprice

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

// page is one response of the Retail Prices API.
// https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices
type page struct {
	BillingCurrency string  `json:"BillingCurrency"`
	Items           *[]item `json:"Items"`
	NextPageLink    *string `json:"NextPageLink"`
	Count           int     `json:"Count"`
}

// item is one price: one tier of one meter. Numbers are kept raw so that a
// changed type is reported against its field and the quoted price keeps the
// API's digits.
type item struct {
	CurrencyCode         string          `json:"currencyCode"`
	TierMinimumUnits     json.RawMessage `json:"tierMinimumUnits"`
	RetailPrice          json.RawMessage `json:"retailPrice"`
	UnitPrice            json.RawMessage `json:"unitPrice"`
	ArmRegionName        string          `json:"armRegionName"`
	Location             string          `json:"location"`
	EffectiveStartDate   string          `json:"effectiveStartDate"`
	MeterID              string          `json:"meterId"`
	MeterName            string          `json:"meterName"`
	ProductID            string          `json:"productId"`
	SkuID                string          `json:"skuId"`
	ProductName          string          `json:"productName"`
	SkuName              string          `json:"skuName"`
	ServiceName          string          `json:"serviceName"`
	ServiceFamily        string          `json:"serviceFamily"`
	UnitOfMeasure        string          `json:"unitOfMeasure"`
	Type                 string          `json:"type"`
	IsPrimaryMeterRegion bool            `json:"isPrimaryMeterRegion"`
}

func decodePage(r io.Reader) (page, error) {
	var p page
	if err := pricelist.DecodeOne(r, &p); err != nil {
		return page{}, err
	}
	if p.Items == nil {
		return page{}, errors.New("Items: missing")
	}
	return p, nil
}

// Parse reads a saved Retail Prices response — one page, or a JSON array of
// the pages of one query — and returns region's Consumption and Flex cards,
// with Source source and FetchedAt fetchedAt. An empty region means the
// response's own: the one armRegionName of its Functions items.
func Parse(r io.Reader, region, source string, fetchedAt time.Time) ([]pricing.Card, error) {
	if region != "" {
		if err := checkRegion(region); err != nil {
			return nil, err
		}
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	pages, _, err := pricelist.Pages(body, decodePage)
	if err != nil {
		return nil, err
	}
	if region == "" {
		if region, err = pagesRegion(pages); err != nil {
			return nil, err
		}
	}
	return build(pages, region, source, fetchedAt)
}

// pagesRegion is the one region of the Functions items on the pages.
func pagesRegion(pages []page) (string, error) {
	regions := map[string]bool{}
	for _, p := range pages {
		for _, it := range *p.Items {
			if it.ServiceName == "Functions" && it.ArmRegionName != "" {
				regions[it.ArmRegionName] = true
			}
		}
	}
	if len(regions) != 1 {
		var names []string
		for r := range regions {
			names = append(names, r)
		}
		sort.Strings(names)
		return "", fmt.Errorf("Items: the Functions items name %d regions (%v); say which region to read", len(regions), names)
	}
	for r := range regions {
		return r, checkRegion(r)
	}
	return "", nil
}

// meterKey is one priced quantity of one plan.
type meterKey struct {
	plan  pricing.Plan
	meter pricing.Meter
}

// classify names the plan and meter an item prices; ok is false for the
// meters FISO ignores.
func classify(it item) (meterKey, bool) {
	var k meterKey
	switch it.MeterName {
	case "Standard Execution Time":
		k = meterKey{pricing.Consumption, pricing.GBSecond}
	case "Standard Total Executions":
		k = meterKey{pricing.Consumption, pricing.Request}
	case "On Demand Execution Time":
		k = meterKey{pricing.Flex, pricing.GBSecond}
	case "On Demand Total Executions":
		k = meterKey{pricing.Flex, pricing.Request}
	default:
		return meterKey{}, false
	}
	if k.plan == pricing.Consumption && it.ProductName != "Functions" {
		return meterKey{}, false
	}
	if k.plan == pricing.Flex && (!strings.Contains(it.ProductName, "Flex Consumption") || it.SkuName != "On Demand") {
		return meterKey{}, false
	}
	return k, true
}

// meterName is the list's name for a meter, for errors.
func meterName(k meterKey) string {
	name := "Standard"
	if k.plan == pricing.Flex {
		name = "On Demand"
	}
	if k.meter == pricing.GBSecond {
		return name + " Execution Time"
	}
	return name + " Total Executions"
}

// row is an item chosen for a card, with its numbers read.
type row struct {
	path      string // "page 2 Items[7]"
	it        item
	min       float64 // tierMinimumUnits, in the unit of measure
	price     float64 // retailPrice, per unit of measure
	quoted    string
	pack      float64 // how many meter units one unit of measure is
	effective time.Time
}

func build(pages []page, region, source string, fetchedAt time.Time) ([]pricing.Card, error) {
	rows := map[meterKey][]row{}
	for pi, p := range pages {
		for ii, it := range *p.Items {
			path := fmt.Sprintf("Items[%d]", ii)
			if len(pages) > 1 {
				path = fmt.Sprintf("page %d %s", pi+1, path)
			}
			if it.ServiceName != "Functions" || it.ArmRegionName != region || it.Type != "Consumption" || it.CurrencyCode != "USD" {
				continue
			}
			k, ok := classify(it)
			if !ok {
				continue
			}
			r, err := readRow(it, path, k.meter)
			if err != nil {
				return nil, err
			}
			rows[k] = append(rows[k], r)
		}
	}

	var cards []pricing.Card
	for _, plan := range pricing.PlansOf(catalog.Azure) {
		if !offered(rows, plan) {
			// Flex Consumption is not in every region: a plan with no meter
			// at all in the list is not offered here.
			continue
		}
		c := pricing.Card{
			Provider:  catalog.Azure,
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
			if len(rows[k]) == 0 {
				return nil, fmt.Errorf("plan %s: no %s price in the list (meter %q, type Consumption, USD, region %s)", plan, m, meterName(k), region)
			}
			price, grant, eff, err := priceOf(k, rows[k])
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
		return nil, fmt.Errorf("no Functions meter of any plan for region %s in the list (meters %q and %q, type Consumption, USD)", region, "Standard Execution Time", "On Demand Execution Time")
	}
	return cards, nil
}

// offered reports whether the list prices any meter of plan.
func offered(rows map[meterKey][]row, plan pricing.Plan) bool {
	for _, m := range pricing.MetersOf(plan) {
		if len(rows[meterKey{plan, m}]) > 0 {
			return true
		}
	}
	return false
}

// readRow checks and reads the fields of a chosen item.
func readRow(it item, path string, m pricing.Meter) (row, error) {
	r := row{path: path, it: it}
	if it.MeterID == "" {
		return row{}, fmt.Errorf("%s.meterId: missing", path)
	}
	var err error
	if r.min, _, err = number(it.TierMinimumUnits); err != nil {
		return row{}, fmt.Errorf("%s.tierMinimumUnits: %w", path, err)
	}
	var text string
	if r.price, text, err = number(it.RetailPrice); err != nil {
		return row{}, fmt.Errorf("%s.retailPrice: %w", path, err)
	}
	if r.effective, err = time.Parse(time.RFC3339, it.EffectiveStartDate); err != nil {
		return row{}, fmt.Errorf("%s.effectiveStartDate: %q is not an RFC 3339 time", path, it.EffectiveStartDate)
	}
	r.effective = r.effective.UTC()
	count, unit, err := unitOfMeasure(it.UnitOfMeasure)
	if err != nil {
		return row{}, fmt.Errorf("%s.unitOfMeasure: %w", path, err)
	}
	if m == pricing.GBSecond && unit != "GB Second" || m == pricing.Request && unit != "" && unit != "Executions" {
		return row{}, fmt.Errorf("%s.unitOfMeasure: %q is not a count of %s", path, it.UnitOfMeasure, describe(m))
	}
	r.pack = count
	r.quoted = text + " USD per " + it.UnitOfMeasure
	return r, nil
}

func describe(m pricing.Meter) string {
	if m == pricing.GBSecond {
		return "GB Seconds"
	}
	return "executions"
}

// priceOf turns one meter's rows into tiers, taking a leading $0 tier as the
// monthly free grant (returned in meter units).
func priceOf(k meterKey, rows []row) (pricing.Price, float64, time.Time, error) {
	first := rows[0]
	byMin := map[float64]row{}
	var eff time.Time
	for _, r := range rows {
		if r.it.MeterID != first.it.MeterID {
			return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.meterId: %q, but %s prices %q under meter %q: two meters for plan %s %s", r.path, r.it.MeterID, first.path, meterName(k), first.it.MeterID, k.plan, k.meter)
		}
		if r.it.UnitOfMeasure != first.it.UnitOfMeasure {
			return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.unitOfMeasure: %q, but %s says %q for the same meter", r.path, r.it.UnitOfMeasure, first.path, first.it.UnitOfMeasure)
		}
		if prev, dup := byMin[r.min]; dup {
			switch {
			case prev.price == r.price:
				continue
			case r.effective.After(prev.effective):
			case prev.effective.After(r.effective):
				continue
			default:
				return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.retailPrice: %s, but %s gives %s for the same tier and date", r.path, r.quoted, prev.path, prev.quoted)
			}
		}
		byMin[r.min] = r
	}
	mins := make([]float64, 0, len(byMin))
	for m := range byMin {
		mins = append(mins, m)
	}
	sort.Float64s(mins)
	if mins[0] != 0 {
		r := byMin[mins[0]]
		return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.tierMinimumUnits: the first tier of %q starts at %g, not 0", r.path, meterName(k), mins[0])
	}
	p := pricing.Price{Meter: k.meter, SourceID: first.it.MeterID}
	var grant float64
	for i, m := range mins {
		r := byMin[m]
		if r.effective.After(eff) {
			eff = r.effective
		}
		t := pricing.Tier{From: m * r.pack, USDPerUnit: perUnit(r), Quoted: r.quoted}
		if i+1 < len(mins) {
			t.To = mins[i+1] * r.pack
		}
		if r.price == 0 {
			if i == 0 && t.To > 0 {
				grant = t.To
				continue
			}
			return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s.retailPrice: price 0 from %g %s is not a free-tier row", r.path, m, r.it.UnitOfMeasure)
		}
		if math.IsInf(t.From, 0) || math.IsInf(t.To, 0) || !(t.USDPerUnit > 0) || math.IsInf(t.USDPerUnit, 0) {
			return pricing.Price{}, 0, time.Time{}, fmt.Errorf("%s: %s from %g does not convert to a tier of %s", r.path, r.quoted, m, k.meter)
		}
		p.Tiers = append(p.Tiers, t)
	}
	return p, grant, eff, nil
}

// perUnit is the price of one meter unit. A pack of 10^k is divided out in
// decimal, so "0.000002 USD per 10" is exactly 0.0000002.
func perUnit(r row) float64 {
	text := strings.TrimSuffix(r.quoted, " USD per "+r.it.UnitOfMeasure)
	if shift := strconv.FormatFloat(r.pack, 'f', -1, 64); strings.Trim(shift[1:], "0") == "" && shift[0] == '1' {
		if v, err := strconv.ParseFloat(text+"e-"+strconv.Itoa(len(shift)-1), 64); err == nil {
			return v
		}
	}
	return r.price / r.pack
}

// number reads a JSON number (not a string) that is finite and not
// negative, and returns it with its digits in plain decimal notation.
func number(raw json.RawMessage) (float64, string, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, "", errors.New("missing")
	}
	if s[0] != '-' && (s[0] < '0' || s[0] > '9') || !json.Valid([]byte(s)) {
		return 0, "", fmt.Errorf("%s is not a number", truncate(s))
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, "", fmt.Errorf("%s is not a number: %w", truncate(s), err)
	}
	if v < 0 {
		return 0, "", fmt.Errorf("%s is negative", s)
	}
	return v, plain(s), nil
}

// plain writes a JSON number in plain decimal notation with the same digits
// ("1.6E-05" -> "0.000016"), so a quoted price is the list's, exactly.
func plain(s string) string {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 400 || e < -400 {
			return s
		}
		mant, exp = s[:i], e
	}
	if exp == 0 {
		return mant
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	point := len(intPart) + exp // position of the decimal point in digits
	switch {
	case point <= 0:
		digits = strings.Repeat("0", 1-point) + digits
		point = 1
	case point > len(digits):
		digits += strings.Repeat("0", point-len(digits))
	}
	out := digits[:point]
	if rest := digits[point:]; rest != "" {
		out += "." + rest
	}
	out = strings.TrimLeft(out, "0")
	if out == "" || out[0] == '.' {
		out = "0" + out
	}
	return out
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// unitOfMeasure splits "10", "1 GB Second", "1M" or "10K Executions" into a
// count and a unit name.
func unitOfMeasure(s string) (float64, string, error) {
	numText, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	mult := 1.0
	switch {
	case strings.HasSuffix(numText, "K"):
		mult, numText = 1e3, strings.TrimSuffix(numText, "K")
	case strings.HasSuffix(numText, "M"):
		mult, numText = 1e6, strings.TrimSuffix(numText, "M")
	}
	n, err := strconv.ParseUint(numText, 10, 32)
	if err != nil || n == 0 {
		return 0, "", fmt.Errorf("%q does not start with a count", s)
	}
	return float64(n) * mult, strings.TrimSpace(unit), nil
}
