package stacks

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SecretPrefix is the name prefix of every Secrets Manager secret FISO may
// read: shared/catalog refuses credential references outside it, and the
// control plane's IAM policy grants nothing else.
const SecretPrefix = "fiso/"

// WorkloadTagKey=WorkloadTagValue is the tag that marks a Lambda function as
// a FISO workload; the control plane may invoke only functions that carry it
// and whose names begin with ControlPlaneProps.WorkloadPrefix.
const (
	WorkloadTagKey   = "fiso:workload"
	WorkloadTagValue = "true"
)

// DefaultWorkloadPrefix begins the names of the Lambda functions the control
// plane may invoke (terraform/aws and the sample workload stack use it).
const DefaultWorkloadPrefix = "fiso-workload-"

// dynamoDBActions are the DynamoDB calls of shared/store/dynamo, and no
// more: items are read with GetItem and Query (the store never scans) and
// written with PutItem, UpdateItem, DeleteItem and TransactWriteItems, whose
// parts IAM authorizes as those same actions (the store makes no
// ConditionCheck part, so dynamodb:ConditionCheckItem is not needed). No
// table management: the tables are this stack's.
func dynamoDBActions() []string {
	return []string{
		"dynamodb:GetItem",
		"dynamodb:Query",
		"dynamodb:PutItem",
		"dynamodb:UpdateItem",
		"dynamodb:DeleteItem",
	}
}

// ControlPlaneProps configure the control plane stack. Zero values take the
// default named on each field.
type ControlPlaneProps struct {
	awscdk.StackProps
	// ArtifactsDir holds lambda/api.zip, lambda/pricing.zip,
	// lambda/retrain.zip and lambda/finops.zip (make build writes them to
	// dist/). Required.
	ArtifactsDir string
	// The DynamoDB tables' names: default fiso-config, fiso-invocations and
	// fiso-aggregates, FISO's own defaults, so the fiso CLI (fiso keys
	// create for the first admin key) finds them without FISO_TABLE_*.
	ConfigTable, InvocationsTable, AggregatesTable string
	// EventBus names the EventBridge bus FISO publishes its events to;
	// default "fiso".
	EventBus string
	// AzureFunctionKeySecret and GCPInvokerSecret name the secrets made
	// here, empty, for the operator to put the Azure function key and the
	// GCP service-account key in; defaults fiso/azure-function-key and
	// fiso/gcp-invoker. Both must begin with SecretPrefix.
	AzureFunctionKeySecret, GCPInvokerSecret string
	// GCPBillingKeySecret, when set, makes a third secret for the Cloud
	// Billing API key and points the pricing job at it
	// (FISO_PRICING_GCP_KEY_REF); the job then fails to start until the
	// secret has a value. Empty: GCP prices are not pulled and FISO's
	// built-in GCP rate cards stay in force.
	GCPBillingKeySecret string
	// AlertWebhookSecret, when set, names a fiso/ secret (made by the
	// operator) holding a webhook URL, such as a Slack incoming webhook's,
	// that the API and the FinOps job post every alert to
	// (FISO_ALERT_WEBHOOK_REF). Empty: alerts go to the bus and the logs.
	AlertWebhookSecret string
	// PricingRegions restricts the daily price pull (FISO_PRICING_REGIONS,
	// "aws=us-east-1;azure=eastus"); empty pulls the regions FISO has
	// deployments in or built-in cards for.
	PricingRegions string
	// WorkloadPrefix begins the names of the Lambda functions the control
	// plane may invoke; default DefaultWorkloadPrefix.
	WorkloadPrefix string
	// InvocationLogDays is how long the invocation log keeps a record
	// (FISO_LOG_RETENTION_DAYS, DynamoDB TTL); default 30.
	InvocationLogDays int
	// LogRetention is how long CloudWatch keeps the functions' logs;
	// default one month.
	LogRetention awslogs.RetentionDays
	// AlarmEmail, when set, subscribes this address to the alarm topic.
	AlarmEmail string
	// API5xxThreshold is the number of 5xx answers in five minutes that
	// raises the API alarm; default 5. FISO answers 502 and 504 when every
	// deployment of a call failed, so a single one is not yet an incident.
	API5xxThreshold float64
}

func (p ControlPlaneProps) withDefaults() ControlPlaneProps {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&p.ConfigTable, "fiso-config")
	def(&p.InvocationsTable, "fiso-invocations")
	def(&p.AggregatesTable, "fiso-aggregates")
	def(&p.EventBus, "fiso")
	def(&p.AzureFunctionKeySecret, SecretPrefix+"azure-function-key")
	def(&p.GCPInvokerSecret, SecretPrefix+"gcp-invoker")
	def(&p.WorkloadPrefix, DefaultWorkloadPrefix)
	if p.InvocationLogDays == 0 {
		p.InvocationLogDays = 30
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.API5xxThreshold == 0 {
		p.API5xxThreshold = 5
	}
	return p
}

func (p ControlPlaneProps) validate() error {
	var errs []error
	if p.ArtifactsDir == "" {
		errs = append(errs, errors.New("ArtifactsDir is required"))
	}
	for _, s := range []string{p.AzureFunctionKeySecret, p.GCPInvokerSecret, p.GCPBillingKeySecret, p.AlertWebhookSecret} {
		if s != "" && (!strings.HasPrefix(s, SecretPrefix) || len(s) == len(SecretPrefix)) {
			errs = append(errs, fmt.Errorf("secret name %q is not %s<name> (FISO reads no other secret)", s, SecretPrefix))
		}
	}
	if p.InvocationLogDays < 1 || p.InvocationLogDays > 3650 {
		errs = append(errs, fmt.Errorf("InvocationLogDays %d is not from 1 to 3650", p.InvocationLogDays))
	}
	if strings.ContainsAny(p.WorkloadPrefix, "*?:") {
		errs = append(errs, fmt.Errorf("WorkloadPrefix %q is not a plain name prefix", p.WorkloadPrefix))
	}
	return errors.Join(errs...)
}

// NewControlPlane defines the FISO control plane: the HTTP API and its
// Lambda function, the scheduled pricing, retrain and FinOps jobs, the
// DynamoDB tables of shared/store/dynamo, the event bus, the credential
// secrets, log groups and alarms.
func NewControlPlane(scope constructs.Construct, id string, props ControlPlaneProps) (awscdk.Stack, error) {
	p := props.withDefaults()
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("control plane stack %s: %w", id, err)
	}
	zips := map[string]string{}
	for _, name := range []string{"api", "pricing", "retrain", "finops"} {
		path, err := artifact(p.ArtifactsDir, name)
		if err != nil {
			return nil, fmt.Errorf("control plane stack %s: %w", id, err)
		}
		zips[name] = path
	}

	stackProps := p.StackProps
	if stackProps.Description == nil {
		stackProps.Description = jsii.String("FISO control plane: HTTP API, scheduled jobs, DynamoDB tables, event bus, secrets and alarms")
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &stackProps)

	tables := newTables(stack, p)
	bus := awsevents.NewEventBus(stack, jsii.String("Bus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(p.EventBus),
		Description:  jsii.String("FISO's events: price changes, model promotions, drift"),
	})
	azureKey := newEmptySecret(stack, "AzureFunctionKey", p.AzureFunctionKeySecret,
		"Azure function key FISO sends as x-functions-key (credential_ref secretsmanager:"+p.AzureFunctionKeySecret+")")
	gcpInvoker := newEmptySecret(stack, "GCPInvoker", p.GCPInvokerSecret,
		"GCP service-account key (JSON) FISO mints ID tokens with (credential_ref secretsmanager:"+p.GCPInvokerSecret+")")

	// Every function reads the same tables; FISO_STORE is dynamodb in
	// Lambda already, and set here so the configuration reads whole.
	common := func() map[string]*string {
		return map[string]*string{
			"FISO_STORE":              jsii.String("dynamodb"),
			"FISO_TABLE_CONFIG":       tables.config.TableName(),
			"FISO_TABLE_INVOCATIONS":  tables.invocations.TableName(),
			"FISO_TABLE_AGGREGATES":   tables.aggregates.TableName(),
			"FISO_LOG_RETENTION_DAYS": jsii.String(strconv.Itoa(p.InvocationLogDays)),
		}
	}
	// The API sends budget alerts and the FinOps job anomaly alerts: both
	// publish on the bus, and post to the webhook when there is one.
	apiEnv := common()
	apiEnv["FISO_EVENT_BUS"] = bus.EventBusName()
	finopsEnv := common()
	finopsEnv["FISO_EVENT_BUS"] = bus.EventBusName()
	if p.AlertWebhookSecret != "" {
		ref := jsii.String("secretsmanager:" + p.AlertWebhookSecret)
		apiEnv["FISO_ALERT_WEBHOOK_REF"], finopsEnv["FISO_ALERT_WEBHOOK_REF"] = ref, ref
	}
	pricingEnv := common()
	pricingEnv["FISO_EVENT_BUS"] = bus.EventBusName()
	if p.PricingRegions != "" {
		pricingEnv["FISO_PRICING_REGIONS"] = jsii.String(p.PricingRegions)
	}
	retrainEnv := common()
	retrainEnv["FISO_EVENT_BUS"] = bus.EventBusName()
	var billingKey awssecretsmanager.Secret
	if p.GCPBillingKeySecret != "" {
		billingKey = newEmptySecret(stack, "GCPBillingKey", p.GCPBillingKeySecret,
			"Cloud Billing API key the pricing job reads GCP prices with (FISO_PRICING_GCP_KEY_REF)")
		pricingEnv["FISO_PRICING_GCP_KEY_REF"] = jsii.String("secretsmanager:" + p.GCPBillingKeySecret)
	}

	api := newGoFunction(stack, goFunction{
		id: "ApiFunction", zip: zips["api"], description: "FISO control plane: the HTTP API",
		// 28 s is FISO_REQUEST_TIMEOUT's default, under API Gateway's 30 s;
		// the function may run a little longer to log and answer.
		memoryMB: 512, timeout: awscdk.Duration_Seconds(jsii.Number(30)),
		env: apiEnv, retention: p.LogRetention,
	})
	zero, one := jsii.Number(0), jsii.Number(1)
	pricing := newGoFunction(stack, goFunction{
		id: "PricingFunction", zip: zips["pricing"], description: "FISO pricing job: pulls the providers' rate cards (daily)",
		memoryMB: 1024, timeout: awscdk.Duration_Minutes(jsii.Number(10)),
		env: pricingEnv, retention: p.LogRetention, retries: one,
	})
	retrain := newGoFunction(stack, goFunction{
		id: "RetrainFunction", zip: zips["retrain"], description: "FISO retrain job: fits each deployment's models (hourly)",
		memoryMB: 1024, timeout: awscdk.Duration_Minutes(jsii.Number(15)),
		env: retrainEnv, retention: p.LogRetention, retries: zero,
	})
	finops := newGoFunction(stack, goFunction{
		id: "FinOpsFunction", zip: zips["finops"], description: "FISO FinOps job: releases expired budget reservations, flags spend anomalies (hourly)",
		memoryMB: 256, timeout: awscdk.Duration_Minutes(jsii.Number(5)),
		env: finopsEnv, retention: p.LogRetention, retries: zero,
	})
	functions := []struct {
		id string
		fn awslambda.Function
	}{{"Api", api}, {"Pricing", pricing}, {"Retrain", retrain}, {"FinOps", finops}}

	// Permissions: each function gets what its code calls, on these
	// resources only.
	for _, f := range functions {
		tables.grant(f.fn)
	}
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeWorkloads"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: jsii.Strings(workloadARN(stack, p.WorkloadPrefix)),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:ResourceTag/" + WorkloadTagKey: WorkloadTagValue},
		},
	}))
	// Deployments' credential_refs may name any fiso/ secret, made here or
	// by the operator.
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadFISOSecrets"),
		Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
		Resources: jsii.Strings(secretsARN(stack)),
	}))
	if billingKey != nil {
		pricing.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadBillingKey"),
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: &[]*string{billingKey.SecretArn()},
		}))
	}
	if p.AlertWebhookSecret != "" {
		finops.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadAlertWebhook"),
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: jsii.Strings(secretARN(stack, p.AlertWebhookSecret)),
		}))
	}
	for _, fn := range []awslambda.Function{api, pricing, retrain, finops} {
		bus.GrantPutEventsTo(fn, nil)
	}

	// The API: every route goes to the one handler, which routes itself.
	httpAPI := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:     jsii.String("fiso"),
		Description: jsii.String("FISO control plane"),
		DefaultIntegration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiIntegration"), api,
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
				PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
			}),
	})

	// Schedules.
	for _, s := range []struct {
		id    string
		fn    awslambda.Function
		every awscdk.Duration
		what  string
	}{
		{"PricingSchedule", pricing, awscdk.Duration_Days(jsii.Number(1)), "Runs FISO's price pull daily"},
		{"RetrainSchedule", retrain, awscdk.Duration_Hours(jsii.Number(1)), "Runs FISO's model training hourly"},
		{"FinOpsSchedule", finops, awscdk.Duration_Hours(jsii.Number(1)), "Runs FISO's FinOps job hourly"},
	} {
		awsevents.NewRule(stack, jsii.String(s.id), &awsevents.RuleProps{
			Description: jsii.String(s.what),
			Schedule:    awsevents.Schedule_Rate(s.every),
			Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(s.fn, nil)},
		})
	}

	// Alarms, all to one topic.
	topic := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{DisplayName: jsii.String("FISO alarms")})
	if p.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(p.AlarmEmail), nil))
	}
	notify := awscloudwatchactions.NewSnsAction(topic)
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	alarm := func(id, description string, metric awscloudwatch.Metric, threshold float64) {
		a := awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(notify)
	}
	alarm("Api5xxAlarm", fmt.Sprintf("FISO's HTTP API answered 5xx at least %g times in 5 minutes", p.API5xxThreshold),
		httpAPI.MetricServerError(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}), p.API5xxThreshold)
	for _, f := range functions {
		alarm(f.id+"ErrorsAlarm", "FISO's "+f.id+" function failed (Lambda Errors)",
			f.fn.MetricErrors(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}), 1)
	}

	// Outputs: what the README's next steps and fiso need.
	for _, o := range []struct{ id, value, what string }{
		{"ApiUrl", *httpAPI.ApiEndpoint(), "FISO's API base URL (FISO_URL)"},
		{"ConfigTableName", *tables.config.TableName(), "FISO_TABLE_CONFIG"},
		{"InvocationsTableName", *tables.invocations.TableName(), "FISO_TABLE_INVOCATIONS"},
		{"AggregatesTableName", *tables.aggregates.TableName(), "FISO_TABLE_AGGREGATES"},
		{"EventBusName", *bus.EventBusName(), "EventBridge bus FISO publishes to"},
		{"AzureFunctionKeySecretArn", *azureKey.SecretArn(), "put the Azure function key here; credential_ref secretsmanager:" + p.AzureFunctionKeySecret},
		{"GCPInvokerSecretArn", *gcpInvoker.SecretArn(), "put the GCP service-account key JSON here; credential_ref secretsmanager:" + p.GCPInvokerSecret},
		{"AlarmTopicArn", *topic.TopicArn(), "SNS topic of FISO's alarms"},
	} {
		awscdk.NewCfnOutput(stack, jsii.String(o.id), &awscdk.CfnOutputProps{Value: jsii.String(o.value), Description: jsii.String(o.what)})
	}
	if billingKey != nil {
		awscdk.NewCfnOutput(stack, jsii.String("GCPBillingKeySecretArn"), &awscdk.CfnOutputProps{
			Value: billingKey.SecretArn(), Description: jsii.String("put the Cloud Billing API key here"),
		})
	}
	return stack, nil
}

// controlPlaneTables are the three tables of shared/store/dynamo.
type controlPlaneTables struct {
	config, invocations, aggregates awsdynamodb.Table
}

// newTables mirrors shared/store/dynamo/schema.go (its CreateTable inputs
// are the truth): on demand, with point-in-time recovery, kept when the
// stack is deleted.
func newTables(scope constructs.Construct, p ControlPlaneProps) controlPlaneTables {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	table := func(id, name string, pk, sk string, ttl string) awsdynamodb.Table {
		props := &awsdynamodb.TableProps{
			TableName:    jsii.String(name),
			PartitionKey: str(pk),
			SortKey:      str(sk),
			BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		}
		if ttl != "" {
			props.TimeToLiveAttribute = jsii.String(ttl)
		}
		return awsdynamodb.NewTable(scope, jsii.String(id), props)
	}
	t := controlPlaneTables{
		// pk/sk: functions, policies, keys, settings, rate cards, models.
		config: table("ConfigTable", p.ConfigTable, "pk", "sk", ""),
		// function_name/sk, the invocation log; ttl expires records.
		invocations: table("InvocationsTable", p.InvocationsTable, "function_name", "sk", "ttl"),
		// pk/sk: cost counters, budget counters and reservations (no TTL:
		// a reservation is swept by the FinOps job, never expired).
		aggregates: table("AggregatesTable", p.AggregatesTable, "pk", "sk", ""),
	}
	for _, ix := range []struct {
		name, pk, sk string
		projection   awsdynamodb.ProjectionType
	}{
		{"by-id", "invocation_id", "", awsdynamodb.ProjectionType_KEYS_ONLY},
		{"by-key", "key_id", "sk", awsdynamodb.ProjectionType_ALL},
		{"by-day", "day_shard", "sk", awsdynamodb.ProjectionType_ALL},
	} {
		gsi := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.name),
			PartitionKey:   str(ix.pk),
			ProjectionType: ix.projection,
		}
		if ix.sk != "" {
			gsi.SortKey = str(ix.sk)
		}
		t.invocations.AddGlobalSecondaryIndex(gsi)
	}
	return t
}

// grant lets fn read and write items of the three tables (and query the
// invocation log's indexes) with dynamoDBActions only.
func (t controlPlaneTables) grant(fn awslambda.Function) {
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("FISOTables"),
		Actions: jsii.Strings(dynamoDBActions()...),
		Resources: &[]*string{
			t.config.TableArn(),
			t.invocations.TableArn(),
			jsii.String(*t.invocations.TableArn() + "/index/*"),
			t.aggregates.TableArn(),
		},
	}))
}

// newEmptySecret makes a secret with no value: the operator puts one
// (aws secretsmanager put-secret-value) once the workload is deployed.
// Secret generates a random value by default, which would only be a wrong
// credential, so that part is taken out of the template.
func newEmptySecret(scope constructs.Construct, id, name, description string) awssecretsmanager.Secret {
	s := awssecretsmanager.NewSecret(scope, jsii.String(id), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(name),
		Description: jsii.String(description),
	})
	s.Node().DefaultChild().(awssecretsmanager.CfnSecret).AddPropertyDeletionOverride(jsii.String("GenerateSecretString"))
	return s
}

// workloadARN matches the workload functions in every region of this
// account (a deployment's region is its own, not the control plane's), with
// or without a version or alias qualifier.
func workloadARN(stack awscdk.Stack, prefix string) string {
	return *stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("lambda"),
		Region:       jsii.String("*"),
		Resource:     jsii.String("function"),
		ResourceName: jsii.String(prefix + "*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// secretsARN matches every secret named fiso/... in this account and region
// (Secrets Manager appends a random suffix to the name in the ARN).
func secretsARN(stack awscdk.Stack) string { return secretARNPattern(stack, SecretPrefix+"*") }

// secretARN is the ARN pattern of the secret called name: Secrets Manager
// appends a dash and six random characters to the name.
func secretARN(stack awscdk.Stack, name string) string {
	return secretARNPattern(stack, name+"-??????")
}

func secretARNPattern(stack awscdk.Stack, resourceName string) string {
	return *stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("secretsmanager"),
		Resource:     jsii.String("secret"),
		ResourceName: jsii.String(resourceName),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}
