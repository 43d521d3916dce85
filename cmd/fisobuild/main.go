// Command fisobuild cross-compiles and packages every deployable of FISO, so
// that `make build`, `sam build` and the Terraform modules all ship the same
// bytes:
//
//	dist/lambda/{api,pricing,retrain,finops,sample}.zip  bootstrap, linux/arm64 (provided.al2023)
//	dist/azure/sample.zip                               custom-handler package, linux/amd64
//	dist/gcp/sample-source.zip                          Cloud Functions (gen2, Go) source bundle
//
// and prints each artifact's size. `fisobuild -bootstrap NAME -o DIR` builds
// one Lambda's bootstrap into DIR, unzipped: what sam build's makefile
// targets call, with the same flags.
//
// Zips are reproducible: entries sorted, fixed modes, and every timestamp
// set to SOURCE_DATE_EPOCH (1980-01-01 when unset).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fisobuild:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fisobuild", flag.ContinueOnError)
	dist := fs.String("dist", "dist", "output folder of the packaged artifacts")
	goCmd := fs.String("go", "go", "the go command to build with")
	bootstrap := fs.String("bootstrap", "", "build only this Lambda's bootstrap (api, pricing, retrain, finops, sample) into -o")
	out := fs.String("o", "", "with -bootstrap: the folder to write bootstrap into (sam build's ARTIFACTS_DIR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	mtime, err := sourceDate(getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	b, err := newBuilder(ctx, *goCmd, mtime)
	if err != nil {
		return err
	}
	if *bootstrap != "" {
		if *out == "" {
			return errors.New("-bootstrap needs -o DIR (sam build sets ARTIFACTS_DIR)")
		}
		return b.bootstrap(ctx, *bootstrap, *out)
	}
	artifacts, err := b.all(ctx, *dist)
	if err != nil {
		return err
	}
	return printSizes(stdout, artifacts)
}

// sourceDate is the timestamp of every zip entry: SOURCE_DATE_EPOCH
// (reproducible-builds.org) or the earliest time a zip can hold.
func sourceDate(epoch string) (time.Time, error) {
	if epoch == "" {
		return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	s, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil || s < 315532800 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a Unix time from 1980 on", epoch)
	}
	return time.Unix(s, 0).UTC(), nil
}
