package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// runCost prints the billed cost of one invocation under the card in force:
// the configured store's, or the built-in one when the store cannot be read
// (fiso dev holding it, say).
func runCost(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	provider := fs.String("provider", "", "aws, azure or gcp")
	plan := fs.String("plan", "", "lambda | consumption, flex | gen2, gen1 (default: the provider's first)")
	region := fs.String("region", "", "region, e.g. us-east-1, eastus, us-central1")
	arch := fs.String("arch", string(catalog.X86_64), "x86_64 or arm64")
	memory := fs.Int("memory-mb", 0, "configured memory in MB (default: the plan's default)")
	observed := fs.Int("observed-memory-mb", 0, "memory the invocation used (Azure Consumption bills it)")
	duration := fs.Float64("duration-ms", -1, "execution time in milliseconds")
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 || *provider == "" || *region == "" || *duration < 0 {
		return usageError{"usage: fiso cost --provider P [--plan PLAN] --region R [--arch A] [--memory-mb M] --duration-ms D [--observed-memory-mb O] [--json]"}
	}
	d := catalog.Deployment{Provider: catalog.Provider(*provider), Region: *region, Arch: catalog.Arch(*arch), Plan: *plan, MemoryMB: *memory}
	book := pricebook.New(nil, 0, nil)
	if st, err := openConfiguredStore(ctx); err == nil {
		defer st.Close()
		book = pricebook.New(st, 0, nil)
	} else {
		fmt.Fprintf(stderr, "fiso cost: using the built-in rate cards (%v)\n", err)
	}
	cost, err := book.Price(ctx, d, pricing.Usage{DurationMs: *duration, ObservedMemoryMB: *observed})
	if err != nil {
		return err
	}
	key := pricebook.KeyOf(d)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"key": key.String(), "cost": cost})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "card\t%s (version %s)\n", key, cost.CardVersion)
	fmt.Fprintf(tw, "billed duration\t%g ms\n", cost.BilledDurationMs)
	fmt.Fprintf(tw, "billed memory\t%d MB\n", cost.BilledMemoryMB)
	for _, m := range pricing.MetersOf(key.Plan) {
		fmt.Fprintf(tw, "%s\t%.9g\n", m, cost.Quantities[m])
	}
	fmt.Fprintf(tw, "compute\t$%.12f\n", cost.ComputeUSD)
	fmt.Fprintf(tw, "request fee\t$%.12f\n", cost.RequestUSD)
	fmt.Fprintf(tw, "total\t$%.12f\t(list price; free grants apply monthly)\n", cost.TotalUSD)
	return tw.Flush()
}
