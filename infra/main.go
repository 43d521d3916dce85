// Command infra is FISO's CDK app: it synthesizes the control plane stack
// (FisoControlPlane) and the AWS sample workload stack (FisoSampleWorkload)
// into a cloud assembly, infra/cdk.out by default, that
// `npx aws-cdk@2 deploy --app cdk.out` deploys. It needs no cdk CLI to
// synthesize: `go run .` (make synth) writes the templates itself.
//
// Settings, as CDK context (-c key=value, or cdk.json) or environment:
//
//	artifacts           FISO_ARTIFACTS_DIR        make build's output, default ../dist
//	logRetentionDays    FISO_CDK_LOG_RETENTION    CloudWatch log retention, default 30
//	invocationLogDays   FISO_LOG_RETENTION_DAYS   invocation log retention, default 30
//	alarmEmail          FISO_ALARM_EMAIL          subscribed to the alarm topic
//	pricingRegions      FISO_PRICING_REGIONS      what the pricing job pulls
//	gcpBillingKeySecret FISO_GCP_BILLING_SECRET   e.g. fiso/gcp-billing-key: pull GCP prices with it
//	alertWebhookSecret  FISO_ALERT_WEBHOOK_SECRET e.g. fiso/alert-webhook: post alerts to the URL it holds
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/fiso-dev/fiso/infra/stacks"
)

func main() {
	err := run(os.Getenv, os.Stdout)
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

// run synthesizes the app and lists the templates it wrote on stdout.
func run(getenv func(string) string, stdout io.Writer) error {
	// The cdk CLI tells the app where to write (CDK_OUTDIR); alone, the
	// app writes to cdk.out beside it.
	outdir := getenv("CDK_OUTDIR")
	if outdir == "" {
		outdir = "cdk.out"
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	setting := func(key, env, def string) string {
		if v := app.Node().TryGetContext(jsii.String(key)); v != nil {
			return fmt.Sprint(v)
		}
		if v := getenv(env); v != "" {
			return v
		}
		return def
	}
	number := func(key, env, def string) (int, error) {
		v := setting(key, env, def)
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%s (or %s) %q is not a whole number", key, env, v)
		}
		return n, nil
	}

	artifacts, err := filepath.Abs(setting("artifacts", "FISO_ARTIFACTS_DIR", filepath.Join("..", "dist")))
	if err != nil {
		return fmt.Errorf("artifacts folder: %w", err)
	}
	days, err := number("logRetentionDays", "FISO_CDK_LOG_RETENTION", "30")
	if err != nil {
		return err
	}
	retention, err := stacks.LogRetention(days)
	if err != nil {
		return err
	}
	invocationDays, err := number("invocationLogDays", "FISO_LOG_RETENTION_DAYS", "30")
	if err != nil {
		return err
	}
	// Account and region stay unresolved unless the cdk CLI names them, so
	// one assembly deploys to whatever the deploying credentials choose.
	var env *awscdk.Environment
	if account, region := getenv("CDK_DEFAULT_ACCOUNT"), getenv("CDK_DEFAULT_REGION"); account != "" && region != "" {
		env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}

	if _, err := stacks.NewControlPlane(app, "FisoControlPlane", stacks.ControlPlaneProps{
		StackProps:          awscdk.StackProps{Env: env},
		ArtifactsDir:        artifacts,
		InvocationLogDays:   invocationDays,
		LogRetention:        retention,
		AlarmEmail:          setting("alarmEmail", "FISO_ALARM_EMAIL", ""),
		PricingRegions:      setting("pricingRegions", "FISO_PRICING_REGIONS", ""),
		GCPBillingKeySecret: setting("gcpBillingKeySecret", "FISO_GCP_BILLING_SECRET", ""),
		AlertWebhookSecret:  setting("alertWebhookSecret", "FISO_ALERT_WEBHOOK_SECRET", ""),
	}); err != nil {
		return err
	}
	if _, err := stacks.NewSampleWorkload(app, "FisoSampleWorkload", stacks.SampleWorkloadProps{
		StackProps:   awscdk.StackProps{Env: env},
		ArtifactsDir: artifacts,
		LogRetention: retention,
	}); err != nil {
		return err
	}

	assembly := app.Synth(nil)
	for _, s := range *assembly.Stacks() {
		path, err := filepath.Abs(filepath.Join(*assembly.Directory(), *s.TemplateFile()))
		if err != nil {
			return fmt.Errorf("template of %s: %w", *s.StackName(), err)
		}
		fmt.Fprintln(stdout, path)
	}
	return nil
}
