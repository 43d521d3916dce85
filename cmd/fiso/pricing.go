package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/awsprice"
	"github.com/fiso-dev/fiso/shared/pricing/azureprice"
	"github.com/fiso-dev/fiso/shared/pricing/gcpprice"
)

// runPricing is `fiso pricing import` (parse a saved price-list response
// offline) and `fiso pricing pull` (the pricing job, once, into the
// configured store).
func runPricing(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pricing", flag.ContinueOnError)
	provider := fs.String("provider", "", "import: aws, azure or gcp")
	file := fs.String("file", "", "import: the saved response (AWS offer file; Azure Retail Prices page(s); Cloud Billing SKU page(s))")
	region := fs.String("region", "", "import: the region to read (default: the file's, where it names one)")
	accept := fs.Bool("accept", false, "pull: apply cards even when a price moved by more than 50%")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 1 && pos[0] == "import":
		return importCards(*provider, *file, *region, *asJSON, stdout)
	case len(pos) == 1 && pos[0] == "pull":
		return pullCards(ctx, *accept, *asJSON, stdout, stderr)
	}
	return usageError{"usage: fiso pricing import --provider aws|azure|gcp --file F [--region R] [--json] | pricing pull [--accept] [--json]"}
}

func importCards(provider, file, region string, asJSON bool, stdout io.Writer) error {
	parse := map[catalog.Provider]func(io.Reader, string, string, time.Time) ([]pricing.Card, error){
		catalog.AWS: awsprice.Parse, catalog.Azure: azureprice.Parse, catalog.GCP: gcpprice.Parse,
	}[catalog.Provider(provider)]
	if parse == nil || file == "" {
		return usageError{"fiso pricing import needs --provider aws|azure|gcp and --file"}
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	cards, err := parse(f, region, "file:"+file, time.Now())
	if err != nil {
		return fmt.Errorf("import %s prices from %s: %w", provider, file, err)
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(cards)
	}
	return printCards(stdout, cards)
}

func printCards(w io.Writer, cards []pricing.Card) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range cards {
		fmt.Fprintf(tw, "%s\tversion %s\teffective %s\tsource %s\n", c.KeyOf(), c.Version, c.EffectiveDate.Format(time.DateOnly), c.Source)
		for _, p := range c.Prices {
			for _, t := range p.Tiers {
				to := "∞"
				if t.To != 0 {
					to = fmt.Sprintf("%g", t.To)
				}
				fmt.Fprintf(tw, "  %s\t[%g, %s)\t$%.10g per unit\t%s\n", p.Meter, t.From, to, t.USDPerUnit, t.Quoted)
			}
		}
		for _, g := range c.FreeGrants {
			fmt.Fprintf(tw, "  free %s\t%g a month\t\t\n", g.Meter, g.Units)
		}
	}
	return tw.Flush()
}

func pullCards(ctx context.Context, accept, asJSON bool, stdout, stderr io.Writer) error {
	cfg, st, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg.PricingAccept = cfg.PricingAccept || accept
	job, err := controlplane.NewPricingJob(ctx, cfg, st, controlplane.Options{Logger: newLogger(stderr)})
	if err != nil {
		return err
	}
	results, err := job.Run(ctx)
	if asJSON {
		_ = json.NewEncoder(stdout).Encode(results)
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROVIDER\tREGION\tCARD\tOUTCOME\tVERSION\tREASON")
		for _, r := range results {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Provider, r.Region, r.Key, r.Outcome, r.Version, r.Reason)
		}
		tw.Flush()
	}
	return err
}
