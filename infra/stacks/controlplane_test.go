package stacks

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

// The functions of the control plane, by the description the stack gives
// them.
const (
	apiFunction     = "FISO control plane: the HTTP API"
	pricingFunction = "FISO pricing job: pulls the providers' rate cards (daily)"
	retrainFunction = "FISO retrain job: fits each deployment's models (hourly)"
	finopsFunction  = "FISO FinOps job: releases expired budget reservations, flags spend anomalies (hourly)"
)

// controlPlaneZips are the artifacts the control plane stack reads.
func controlPlaneZips() []string { return []string{"api", "pricing", "retrain", "finops"} }

func synthControlPlane(t *testing.T, props ControlPlaneProps) synthesized {
	t.Helper()
	if props.ArtifactsDir == "" {
		props.ArtifactsDir = fakeArtifacts(t, controlPlaneZips()...)
	}
	stack, err := NewControlPlane(newTestApp(t), "FisoControlPlane", props)
	if err != nil {
		t.Fatalf("NewControlPlane: %v", err)
	}
	return synthesize(t, stack)
}

// TestTables holds the tables to shared/store/dynamo/schema.go: its
// CreateTable inputs (configTable, invocationsTable, aggregatesTable) and
// enableTTL are what the store's tests run against, so the same keys,
// types, indexes and TTL attribute must be deployed.
func TestTables(t *testing.T) {
	s := synthControlPlane(t, ControlPlaneProps{})
	str := func(name string) map[string]any { return map[string]any{"AttributeName": name, "AttributeType": "S"} }
	key := func(name, typ string) map[string]any { return map[string]any{"AttributeName": name, "KeyType": typ} }
	check(t, "three tables", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(3)) })

	for _, tc := range []struct {
		name       string
		attributes []any
		keys       []any
		gsis       any // assertions.Match_Absent() when there are none
		ttl        any
	}{
		{
			name:       "fiso-config",
			attributes: []any{str("pk"), str("sk")},
			keys:       []any{key("pk", "HASH"), key("sk", "RANGE")},
			gsis:       assertions.Match_Absent(),
			ttl:        assertions.Match_Absent(),
		},
		{
			name:       "fiso-invocations",
			attributes: []any{str("function_name"), str("sk"), str("invocation_id"), str("key_id"), str("day_shard")},
			keys:       []any{key("function_name", "HASH"), key("sk", "RANGE")},
			gsis: []any{
				map[string]any{"IndexName": "by-id", "KeySchema": []any{key("invocation_id", "HASH")}, "Projection": map[string]any{"ProjectionType": "KEYS_ONLY"}},
				map[string]any{"IndexName": "by-key", "KeySchema": []any{key("key_id", "HASH"), key("sk", "RANGE")}, "Projection": map[string]any{"ProjectionType": "ALL"}},
				map[string]any{"IndexName": "by-day", "KeySchema": []any{key("day_shard", "HASH"), key("sk", "RANGE")}, "Projection": map[string]any{"ProjectionType": "ALL"}},
			},
			ttl: map[string]any{"AttributeName": "ttl", "Enabled": true},
		},
		{
			// Budget reservations live here and must never expire on their
			// own (the FinOps job sweeps them), so no TTL.
			name:       "fiso-aggregates",
			attributes: []any{str("pk"), str("sk")},
			keys:       []any{key("pk", "HASH"), key("sk", "RANGE")},
			gsis:       assertions.Match_Absent(),
			ttl:        assertions.Match_Absent(),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, "table", func() {
				s.tmpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
					"DeletionPolicy": "Retain",
					"Properties": map[string]any{
						"TableName":                        tc.name,
						"BillingMode":                      "PAY_PER_REQUEST",
						"AttributeDefinitions":             assertions.Match_Exact(tc.attributes),
						"KeySchema":                        assertions.Match_Exact(tc.keys),
						"GlobalSecondaryIndexes":           tc.gsis,
						"TimeToLiveSpecification":          tc.ttl,
						"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
						"ProvisionedThroughput":            assertions.Match_Absent(),
					},
				})
			})
		})
	}
}

func TestFunctions(t *testing.T) {
	s := synthControlPlane(t, ControlPlaneProps{PricingRegions: "aws=us-east-1;azure=eastus", InvocationLogDays: 14})
	ref := func(tableName string) map[string]any {
		return map[string]any{"Ref": s.logicalID(t, "AWS::DynamoDB::Table", "TableName", tableName)}
	}
	bus := map[string]any{"Ref": s.logicalID(t, "AWS::Events::EventBus", "Name", "fiso")}
	common := func(extra map[string]any) map[string]any {
		env := map[string]any{
			"FISO_STORE":              "dynamodb",
			"FISO_TABLE_CONFIG":       ref("fiso-config"),
			"FISO_TABLE_INVOCATIONS":  ref("fiso-invocations"),
			"FISO_TABLE_AGGREGATES":   ref("fiso-aggregates"),
			"FISO_LOG_RETENTION_DAYS": "14",
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	check(t, "four functions", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(4)) })

	for _, tc := range []struct {
		description string
		memoryMB    float64
		timeoutS    float64
		env         map[string]any
	}{
		{apiFunction, 512, 30, common(map[string]any{"FISO_EVENT_BUS": bus})},
		{pricingFunction, 1024, 600, common(map[string]any{"FISO_EVENT_BUS": bus, "FISO_PRICING_REGIONS": "aws=us-east-1;azure=eastus"})},
		{retrainFunction, 1024, 900, common(map[string]any{"FISO_EVENT_BUS": bus})},
		{finopsFunction, 256, 300, common(map[string]any{"FISO_EVENT_BUS": bus})},
	} {
		t.Run(tc.description, func(t *testing.T) {
			check(t, "function", func() {
				s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
					"Description":   tc.description,
					"Runtime":       "provided.al2023",
					"Architectures": []any{"arm64"},
					"Handler":       "bootstrap",
					"MemorySize":    tc.memoryMB,
					"Timeout":       tc.timeoutS,
					"Environment":   map[string]any{"Variables": assertions.Match_ObjectEquals(&tc.env)},
				})
			})
		})
	}
}

func TestAPI(t *testing.T) {
	s := synthControlPlane(t, ControlPlaneProps{})
	api := s.logicalID(t, "AWS::Lambda::Function", "Description", apiFunction)
	for _, tc := range []struct {
		name  string
		typ   string
		props map[string]any
	}{
		{"an HTTP API", "AWS::ApiGatewayV2::Api", map[string]any{"ProtocolType": "HTTP", "Name": "fiso"}},
		{"every route to the handler", "AWS::ApiGatewayV2::Route", map[string]any{"RouteKey": "$default"}},
		{"Lambda proxy, payload 2.0", "AWS::ApiGatewayV2::Integration", map[string]any{
			"IntegrationType":      "AWS_PROXY",
			"PayloadFormatVersion": "2.0",
			"IntegrationUri":       map[string]any{"Fn::GetAtt": []any{api, "Arn"}},
		}},
		{"deployed on change", "AWS::ApiGatewayV2::Stage", map[string]any{"StageName": "$default", "AutoDeploy": true}},
		{"API Gateway may invoke the handler", "AWS::Lambda::Permission", map[string]any{
			"Action":       "lambda:InvokeFunction",
			"Principal":    "apigateway.amazonaws.com",
			"FunctionName": map[string]any{"Fn::GetAtt": []any{api, "Arn"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.typ, func() { s.tmpl.HasResourceProperties(jsii.String(tc.typ), tc.props) })
		})
	}
	check(t, "one route", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Route"), jsii.Number(1)) })
}

func TestSchedules(t *testing.T) {
	s := synthControlPlane(t, ControlPlaneProps{})
	check(t, "three rules", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(3)) })
	for _, tc := range []struct {
		function, schedule string
		retries            float64
	}{
		{pricingFunction, "rate(1 day)", 1},
		{retrainFunction, "rate(1 hour)", 0},
		{finopsFunction, "rate(1 hour)", 0},
	} {
		t.Run(tc.function, func(t *testing.T) {
			fn := s.logicalID(t, "AWS::Lambda::Function", "Description", tc.function)
			check(t, "schedule", func() {
				s.tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
					"ScheduleExpression": tc.schedule,
					"State":              "ENABLED",
					"Targets":            []any{assertions.Match_ObjectLike(&map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{fn, "Arn"}}})},
				})
			})
			check(t, "EventBridge may invoke it", func() {
				s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
					"Principal":    "events.amazonaws.com",
					"FunctionName": map[string]any{"Fn::GetAtt": []any{fn, "Arn"}},
				})
			})
			check(t, "retries after a failed run", func() {
				s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]any{
					"FunctionName":         map[string]any{"Ref": fn},
					"MaximumRetryAttempts": tc.retries,
				})
			})
		})
	}
}

// TestIAM checks least privilege statement by statement: which actions each
// function may take, on what, and that nothing is granted on "*".
func TestIAM(t *testing.T) {
	s := synthControlPlane(t, ControlPlaneProps{})
	id := func(typ, prop string, v any) string { return s.logicalID(t, typ, prop, v) }
	config, invocations, aggregates := id("AWS::DynamoDB::Table", "TableName", "fiso-config"),
		id("AWS::DynamoDB::Table", "TableName", "fiso-invocations"), id("AWS::DynamoDB::Table", "TableName", "fiso-aggregates")
	tables := []string{"${" + config + ".Arn}", "${" + invocations + ".Arn}", "${" + invocations + ".Arn}/index/*", "${" + aggregates + ".Arn}"}
	dynamo := []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}
	bus := []string{"${" + id("AWS::Events::EventBus", "Name", "fiso") + ".Arn}"}

	// grant is one statement: sorted actions and resources.
	type grant struct {
		Actions, Resources []string
		Condition          map[string]any
	}
	none := map[string]any{}
	for _, tc := range []struct {
		function string
		want     []grant // besides writing to its own log group
	}{
		{apiFunction, []grant{
			{Actions: dynamo, Resources: tables, Condition: none},
			{Actions: []string{"lambda:InvokeFunction"},
				Resources: []string{"arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:fiso-workload-*"},
				Condition: map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/fiso:workload": "true"}}},
			{Actions: []string{"secretsmanager:GetSecretValue"},
				Resources: []string{"arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:fiso/*"},
				Condition: none},
			{Actions: []string{"events:PutEvents"}, Resources: bus, Condition: none},
		}},
		{pricingFunction, []grant{
			{Actions: dynamo, Resources: tables, Condition: none},
			{Actions: []string{"events:PutEvents"}, Resources: bus, Condition: none},
		}},
		{retrainFunction, []grant{
			{Actions: dynamo, Resources: tables, Condition: none},
			{Actions: []string{"events:PutEvents"}, Resources: bus, Condition: none},
		}},
		{finopsFunction, []grant{
			{Actions: dynamo, Resources: tables, Condition: none},
			{Actions: []string{"events:PutEvents"}, Resources: bus, Condition: none},
		}},
	} {
		t.Run(tc.function, func(t *testing.T) {
			fn := s.logicalID(t, "AWS::Lambda::Function", "Description", tc.function)
			props, _ := s.resources("AWS::Lambda::Function")[fn]["Properties"].(map[string]any)
			logging, _ := props["LoggingConfig"].(map[string]any)
			logGroup := strings.TrimSuffix(render(logging["LogGroup"]), "}") + ".Arn}"
			want := append([]grant{{Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []string{logGroup}, Condition: none}}, tc.want...)

			policy := s.policyOf(t, fn)
			var got []grant
			for _, st := range s.statements() {
				if st.policy != policy {
					continue
				}
				if st.effect != "Allow" {
					t.Errorf("statement %q: effect %s, want Allow", st.sid, st.effect)
				}
				got = append(got, grant{Actions: slices.Sorted(slices.Values(st.actions)), Resources: slices.Sorted(slices.Values(st.resources)), Condition: st.condition})
			}
			byActions := func(a, b grant) int {
				return strings.Compare(strings.Join(a.Actions, ","), strings.Join(b.Actions, ","))
			}
			for i := range want {
				want[i].Resources = slices.Sorted(slices.Values(want[i].Resources))
			}
			slices.SortFunc(want, byActions)
			slices.SortFunc(got, byActions)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statements of %s (-want +got):\n%s", tc.function, diff)
			}
		})
	}

	t.Run("no wildcard action or resource anywhere", func(t *testing.T) {
		for _, st := range s.statements() {
			for _, a := range st.actions {
				if strings.Contains(a, "*") {
					t.Errorf("%s %q: action %s has a wildcard", st.policy, st.sid, a)
				}
			}
			for _, r := range st.resources {
				if r == "*" {
					t.Errorf("%s %q: resource * for %v", st.policy, st.sid, st.actions)
				}
			}
		}
	})
	t.Run("no managed policies", func(t *testing.T) {
		for id, r := range s.resources("AWS::IAM::Role") {
			props, _ := r["Properties"].(map[string]any)
			if m := props["ManagedPolicyArns"]; m != nil {
				t.Errorf("role %s: managed policies %v, want none (AWSLambdaBasicExecutionRole writes to any log group)", id, m)
			}
		}
	})
}

func TestAlarms(t *testing.T) {
	s := synthControlPlane(t, ControlPlaneProps{API5xxThreshold: 3, AlarmEmail: "ops@example.com"})
	topic := map[string]any{"Ref": s.logicalID(t, "AWS::SNS::Topic", "DisplayName", "FISO alarms")}
	check(t, "five alarms", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(5)) })
	check(t, "email subscription", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": topic})
	})
	check(t, "API 5xx", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace":          "AWS/ApiGateway",
			"MetricName":         "5xx",
			"Dimensions":         []any{map[string]any{"Name": "ApiId", "Value": map[string]any{"Ref": s.logicalID(t, "AWS::ApiGatewayV2::Api", "Name", "fiso")}}},
			"Statistic":          "Sum",
			"Threshold":          3,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"AlarmActions":       []any{topic},
		})
	})
	for _, fn := range []string{apiFunction, pricingFunction, retrainFunction, finopsFunction} {
		t.Run(fn, func(t *testing.T) {
			check(t, "errors alarm", func() {
				s.tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
					"Namespace":          "AWS/Lambda",
					"MetricName":         "Errors",
					"Dimensions":         []any{map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": s.logicalID(t, "AWS::Lambda::Function", "Description", fn)}}},
					"Statistic":          "Sum",
					"Threshold":          1,
					"ComparisonOperator": "GreaterThanOrEqualToThreshold",
					"AlarmActions":       []any{topic},
				})
			})
		})
	}
}

func TestLogGroups(t *testing.T) {
	s := synthControlPlane(t, ControlPlaneProps{LogRetention: awslogs.RetentionDays_TWO_WEEKS})
	groups := s.resources("AWS::Logs::LogGroup")
	if len(groups) != 4 {
		t.Errorf("log groups: got %d, want 4, one per function", len(groups))
	}
	for id, fn := range s.resources("AWS::Lambda::Function") {
		props, _ := fn["Properties"].(map[string]any)
		cfg, _ := props["LoggingConfig"].(map[string]any)
		group := strings.TrimSuffix(strings.TrimPrefix(render(cfg["LogGroup"]), "${"), "}")
		g, ok := groups[group]
		if !ok {
			t.Errorf("function %s logs to %v, want a log group of the stack", id, cfg["LogGroup"])
			continue
		}
		gp, _ := g["Properties"].(map[string]any)
		if got := gp["RetentionInDays"]; got != float64(14) {
			t.Errorf("log group of %s: retention %v days, want 14", id, got)
		}
	}
}

func TestSecretsAndBus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		props   ControlPlaneProps
		secrets []string
		// pricingKeyRef is FISO_PRICING_GCP_KEY_REF, "" when unset.
		pricingKeyRef string
	}{
		{"defaults", ControlPlaneProps{}, []string{"fiso/azure-function-key", "fiso/gcp-invoker"}, ""},
		{"with a Cloud Billing key", ControlPlaneProps{GCPBillingKeySecret: "fiso/gcp-billing-key", EventBus: "fiso-test"},
			[]string{"fiso/azure-function-key", "fiso/gcp-invoker", "fiso/gcp-billing-key"}, "secretsmanager:fiso/gcp-billing-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := synthControlPlane(t, tc.props)
			check(t, "secret count", func() {
				s.tmpl.ResourceCountIs(jsii.String("AWS::SecretsManager::Secret"), jsii.Number(float64(len(tc.secrets))))
			})
			for _, name := range tc.secrets {
				check(t, name, func() {
					// No GenerateSecretString: a random value would only be
					// a wrong credential; the operator puts the real one.
					s.tmpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
						"Name":                 name,
						"GenerateSecretString": assertions.Match_Absent(),
						"SecretString":         assertions.Match_Absent(),
					})
				})
			}
			bus := "fiso"
			if tc.props.EventBus != "" {
				bus = tc.props.EventBus
			}
			check(t, "bus", func() {
				s.tmpl.HasResourceProperties(jsii.String("AWS::Events::EventBus"), map[string]any{"Name": bus})
			})
			ref := any(assertions.Match_Absent())
			if tc.pricingKeyRef != "" {
				ref = tc.pricingKeyRef
			}
			check(t, "pricing key reference", func() {
				s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
					"Description": pricingFunction,
					"Environment": map[string]any{"Variables": map[string]any{"FISO_PRICING_GCP_KEY_REF": ref}},
				})
			})
			if tc.pricingKeyRef != "" {
				fn := s.logicalID(t, "AWS::Lambda::Function", "Description", pricingFunction)
				secret := s.logicalID(t, "AWS::SecretsManager::Secret", "Name", tc.props.GCPBillingKeySecret)
				policy := s.policyOf(t, fn)
				var found bool
				for _, st := range s.statements() {
					if st.policy == policy && slices.Contains(st.actions, "secretsmanager:GetSecretValue") {
						found = true
						if want := []string{"${" + secret + "}"}; !slices.Equal(st.resources, want) {
							t.Errorf("pricing job's secret access: got %v, want %v", st.resources, want)
						}
					}
				}
				if !found {
					t.Error("the pricing job may not read its Cloud Billing key")
				}
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	s := synthControlPlane(t, ControlPlaneProps{})
	outputs, _ := s.json["Outputs"].(map[string]any)
	for _, name := range []string{"ApiUrl", "ConfigTableName", "InvocationsTableName", "AggregatesTableName", "EventBusName",
		"AzureFunctionKeySecretArn", "GCPInvokerSecretArn", "AlarmTopicArn"} {
		if _, ok := outputs[name]; !ok {
			t.Errorf("output %s is missing (have %v)", name, slices.Sorted(maps.Keys(outputs)))
		}
	}
	// The endpoint, not the stage URL: that one ends in a slash, and
	// FISO_URL is a base that paths are appended to.
	url, _ := outputs["ApiUrl"].(map[string]any)
	if got, want := render(url["Value"]), "${"+s.logicalID(t, "AWS::ApiGatewayV2::Api", "Name", "fiso")+".ApiEndpoint}"; got != want {
		t.Errorf("ApiUrl: got %s, want %s", got, want)
	}
}

func TestControlPlaneRefusesBadProps(t *testing.T) {
	dir := fakeArtifacts(t, controlPlaneZips()...)
	partial := fakeArtifacts(t, "api", "pricing", "retrain")
	for _, tc := range []struct {
		name  string
		props ControlPlaneProps
		want  string
	}{
		{"no artifacts folder", ControlPlaneProps{}, "ArtifactsDir is required"},
		{"a missing zip", ControlPlaneProps{ArtifactsDir: partial}, "artifact finops (run make build first)"},
		{"a secret outside fiso/", ControlPlaneProps{ArtifactsDir: dir, AzureFunctionKeySecret: "prod/azure"}, `"prod/azure" is not fiso/<name>`},
		{"a bare prefix", ControlPlaneProps{ArtifactsDir: dir, GCPBillingKeySecret: "fiso/"}, `"fiso/" is not fiso/<name>`},
		{"a webhook secret outside fiso/", ControlPlaneProps{ArtifactsDir: dir, AlertWebhookSecret: "slack-url"}, `"slack-url" is not fiso/<name>`},
		{"a wildcard prefix", ControlPlaneProps{ArtifactsDir: dir, WorkloadPrefix: "*"}, "not a plain name prefix"},
		{"retention out of range", ControlPlaneProps{ArtifactsDir: dir, InvocationLogDays: 4000}, "InvocationLogDays 4000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewControlPlane(newTestApp(t), "FisoControlPlane", tc.props)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestAlertWebhook: with a webhook secret, the API and the FinOps job are
// told where it is and the FinOps job may read that secret only (the API
// reads fiso/* already, for deployments' credentials).
func TestAlertWebhook(t *testing.T) {
	s := synthControlPlane(t, ControlPlaneProps{AlertWebhookSecret: "fiso/alert-webhook"})
	for _, fn := range []string{apiFunction, finopsFunction} {
		check(t, fn, func() {
			s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"Description": fn,
				"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
					"FISO_ALERT_WEBHOOK_REF": "secretsmanager:fiso/alert-webhook",
				})},
			})
		})
	}
	policy := s.policyOf(t, s.logicalID(t, "AWS::Lambda::Function", "Description", finopsFunction))
	var got []string
	for _, st := range s.statements() {
		if st.policy == policy && slices.Contains(st.actions, "secretsmanager:GetSecretValue") {
			got = append(got, st.resources...)
		}
	}
	want := []string{"arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:fiso/alert-webhook-??????"}
	if !slices.Equal(got, want) {
		t.Errorf("the FinOps job may read secrets %v, want %v", got, want)
	}
}
