package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/retrain"
)

// runRetrain is `fiso retrain`: the scheduled training (functions/retrain),
// once, on the configured store.
func runRetrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("retrain", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"usage: fiso retrain [--json]"}
	}
	cfg, st, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	job, err := controlplane.NewRetrainJob(ctx, cfg, st, controlplane.Options{Logger: newLogger(stderr)})
	if err != nil {
		return err
	}
	reports, err := job.Run(ctx)
	if *asJSON {
		if jerr := json.NewEncoder(stdout).Encode(reports); jerr != nil {
			return fmt.Errorf("write the reports: %w", jerr)
		}
		return err
	}
	printRetrain(stdout, reports)
	return err
}

func printRetrain(w io.Writer, reports []retrain.FunctionReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tDEPLOYMENT\tSAMPLES\tOUTCOME\tVERSION\tHOLD-OUT MAPE\tP95 COVERAGE\tDRIFT\tREASON")
	for _, f := range reports {
		if f.Error != "" {
			fmt.Fprintf(tw, "%s\t\t\tfailed\t\t\t\t\t%s\n", f.Function, f.Error)
		}
		for _, d := range f.Deployments {
			mape, cover, drift := "", "", ""
			if m := d.ChallengerMetrics; m != nil {
				if d.Outcome == retrain.Kept && d.ChampionMetrics != nil {
					m = d.ChampionMetrics
				}
				mape, cover = fmt.Sprintf("%.1f%%", 100*m.MAPE), fmt.Sprintf("%.2f", m.P95Coverage)
			}
			if d.Drift != nil {
				drift = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", f.Function, d.Deployment, d.Samples, d.Outcome, d.Version, mape, cover, drift, d.Reason)
		}
	}
	tw.Flush()
}
