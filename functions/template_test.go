// Package functions_test checks template.yaml, the SAM template of the
// functions in this folder, against what it deploys: each function's build
// target in the Makefile, the store's DynamoDB schema and operations, the
// configuration the functions read, and the sample events in events/.
package functions_test

import (
	"bufio"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/store/dynamo"
	"github.com/fiso-dev/fiso/shared/testenv"
)

const (
	root   = ".."
	module = "github.com/fiso-dev/fiso"
)

// function is what the template must deploy for one Lambda function.
type function struct {
	pkg      string // main package, relative to the module
	schedule string // EventBridge schedule; "" for none
	rule     string // the schedule's rule name with the parameters' defaults
	http     bool   // the HTTP API's $default route
	workload bool   // a workload FISO invokes, not part of the control plane
}

// deployed are the template's functions by logical ID.
func deployed() map[string]function {
	return map[string]function{
		"ApiFunction":     {pkg: "functions/api", http: true},
		"PricingFunction": {pkg: "functions/pricing", schedule: "rate(1 day)", rule: "fiso-pricing-daily"},
		"RetrainFunction": {pkg: "functions/retrain", schedule: "rate(1 hour)", rule: "fiso-retrain-hourly"},
		"FinopsFunction":  {pkg: "functions/finops", schedule: "rate(1 hour)", rule: "fiso-finops-hourly"},
		"SampleFunction":  {pkg: "functions/samples/aws", workload: true},
	}
}

func TestFunctionsAreBuiltAndTriggeredAsDeployed(t *testing.T) {
	tpl := loadTemplate(t)
	got := slices.Sorted(maps.Keys(tpl.resources("AWS::Serverless::Function")))
	if diff := cmp.Diff(slices.Sorted(maps.Keys(deployed())), got); diff != "" {
		t.Errorf("functions in template.yaml (-want +got):\n%s", diff)
	}
	for id, want := range deployed() {
		t.Run(id, func(t *testing.T) {
			res := tpl.resource(t, id)
			if m := str(get(res, "Metadata", "BuildMethod")); m != "makefile" {
				t.Errorf("Metadata.BuildMethod = %q, want makefile (sam build runs make build-%s)", m, id)
			}
			for prop, want := range map[string]any{
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"CodeUri":       ".", // where the Makefile is
			} {
				if got := tpl.functionProperty(id, prop); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %v, want %v", prop, got, want)
				}
			}
			evs, _ := get(res, "Properties", "Events").(map[string]any)
			var schedules, rules []string
			var httpAPI bool
			for name, ev := range evs {
				switch typ := str(get(ev, "Type")); typ {
				case "Schedule":
					schedules = append(schedules, str(get(ev, "Properties", "Schedule")))
					rules = append(rules, tpl.resolve(get(ev, "Properties", "Name")))
				case "HttpApi":
					props, _ := get(ev, "Properties").(map[string]any)
					if props["Path"] != nil || props["Method"] != nil || str(props["PayloadFormatVersion"]) != "2.0" {
						t.Errorf("event %s: %v, want the $default route (no Path, no Method) with payload format 2.0", name, props)
					}
					httpAPI = true
				default:
					t.Errorf("event %s has type %s, want Schedule or HttpApi", name, typ)
				}
			}
			if want.schedule != "" && (!slices.Equal(schedules, []string{want.schedule}) || !slices.Equal(rules, []string{want.rule})) {
				t.Errorf("schedules %v, rules %v; want %s as rule %s", schedules, rules, want.schedule, want.rule)
			}
			if want.schedule == "" && len(schedules) > 0 {
				t.Errorf("schedules %v, want none", schedules)
			}
			if httpAPI != want.http {
				t.Errorf("on the HTTP API: %v, want %v", httpAPI, want.http)
			}
			tags, _ := get(res, "Properties", "Tags").(map[string]any)
			name := tpl.resolve(get(res, "Properties", "FunctionName"))
			if want.workload {
				if tags["fiso:workload"] != "true" || !strings.HasPrefix(name, "fiso-workload-") {
					t.Errorf("workload named %q tagged %v; want a fiso-workload-* name tagged fiso:workload=true", name, tags)
				}
				if p := get(res, "Properties", "Policies"); p != nil {
					t.Errorf("the workload has policies %v, want none", p)
				}
			}
			group := get(res, "Properties", "LoggingConfig", "LogGroup")
			lg := tpl.resource(t, refName(group))
			if str(lg["Type"]) != "AWS::Logs::LogGroup" || tpl.resolve(get(lg, "Properties", "LogGroupName")) != "/aws/lambda/"+name || get(lg, "Properties", "RetentionInDays") == nil {
				t.Errorf("LoggingConfig.LogGroup %v is %v; want a log group /aws/lambda/%s with a retention", group, lg, name)
			}
		})
	}
}

// TestMakefileBuildsWhatSAMDeploys runs each build-<Function> target the way
// sam build does and checks the bootstrap it writes: the right main
// package, cross-compiled as every Lambda artifact is.
func TestMakefileBuildsWhatSAMDeploys(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		testenv.Require(t, "make: %v", err)
	}
	for id, want := range deployed() {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			artifacts := t.TempDir()
			cmd := exec.CommandContext(t.Context(), "make", "--no-print-directory", "build-"+id, "ARTIFACTS_DIR="+artifacts)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make build-%s: %v\n%s", id, err, out)
			}
			bootstrap := filepath.Join(artifacts, "bootstrap")
			fi, err := os.Stat(bootstrap)
			if err != nil {
				t.Fatalf("make build-%s wrote no bootstrap: %v", id, err)
			}
			if fi.Mode().Perm()&0o111 == 0 {
				t.Errorf("bootstrap mode %v is not executable", fi.Mode())
			}
			info, err := buildinfo.ReadFile(bootstrap)
			if err != nil {
				t.Fatal(err)
			}
			if info.Path != module+"/"+want.pkg {
				t.Errorf("bootstrap built from %s, want %s/%s", info.Path, module, want.pkg)
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
			}
			for k, v := range map[string]string{"GOOS": "linux", "GOARCH": "arm64", "CGO_ENABLED": "0", "-trimpath": "true", "-tags": "lambda.norpc"} {
				if settings[k] != v {
					t.Errorf("build setting %s = %q, want %q", k, settings[k], v)
				}
			}
		})
	}
}

func TestControlPlaneConfiguration(t *testing.T) {
	tpl := loadTemplate(t)
	read := map[string]bool{} // every variable FromEnv looks up
	_, _ = controlplane.FromEnv(func(k string) string {
		read[k] = true
		return ""
	}, controlplane.Defaults())
	tables := tpl.resolvedNames("AWS::DynamoDB::Table", "TableName")
	buses := tpl.resolvedNames("AWS::Events::EventBus", "Name")
	want := map[string]string{
		"FISO_STORE":             controlplane.StoreDynamoDB,
		"FISO_TABLE_CONFIG":      tables["ConfigTable"],
		"FISO_TABLE_INVOCATIONS": tables["InvocationsTable"],
		"FISO_TABLE_AGGREGATES":  tables["AggregatesTable"],
		"FISO_EVENT_BUS":         buses["EventBus"],
	}
	for id, fn := range deployed() {
		if fn.workload {
			continue
		}
		t.Run(id, func(t *testing.T) {
			vars, _ := get(tpl.resource(t, id), "Properties", "Environment", "Variables").(map[string]any)
			for k, v := range want {
				if got := tpl.resolve(vars[k]); got != v || v == "" {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			for k := range vars {
				if !read[k] {
					t.Errorf("%s is not a variable controlplane.FromEnv reads", k)
				}
			}
			if _, ok := vars["FISO_DYNAMODB_ENDPOINT"]; !ok {
				t.Error("FISO_DYNAMODB_ENDPOINT is missing: sam local needs it to reach a local DynamoDB")
			}
		})
	}
	if p := tpl.parameters["DynamoDBEndpoint"]; p == nil || get(p, "Default") != "" {
		t.Errorf("parameter DynamoDBEndpoint = %v, want one defaulting to empty", p)
	}
}

// TestTablesMatchTheStoreSchema runs dynamo.CreateTables against a fake
// DynamoDB that records the requests, and compares the tables it asks for
// with the template's: schema.go stays the single definition.
func TestTablesMatchTheStoreSchema(t *testing.T) {
	tpl := loadTemplate(t)
	names := tpl.resolvedNames("AWS::DynamoDB::Table", "TableName")
	byName := map[string]string{}
	for id, name := range names {
		byName[name] = id
	}
	created, ttl := recordCreateTables(t, dynamo.Tables{
		Config: names["ConfigTable"], Invocations: names["InvocationsTable"], Aggregates: names["AggregatesTable"],
	})
	if diff := cmp.Diff(slices.Sorted(maps.Keys(byName)), slices.Sorted(maps.Keys(created))); diff != "" {
		t.Errorf("tables (-template +schema.go):\n%s", diff)
	}
	for name, in := range created {
		t.Run(name, func(t *testing.T) {
			id := byName[name]
			props, _ := get(tpl.resource(t, id), "Properties").(map[string]any)
			for k, v := range in {
				if k == "TableName" {
					continue
				}
				if diff := cmp.Diff(normalizeTable(k, v), normalizeTable(k, props[k])); diff != "" {
					t.Errorf("%s (-schema.go +template):\n%s", k, diff)
				}
			}
			for k := range props {
				switch k {
				case "TableName", "PointInTimeRecoverySpecification", "TimeToLiveSpecification":
				default:
					if _, ok := in[k]; !ok {
						t.Errorf("the template sets %s, which schema.go does not", k)
					}
				}
			}
			if get(props, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
				t.Error("point-in-time recovery is not enabled")
			}
			var wantTTL any
			if attr, ok := ttl[name]; ok {
				wantTTL = map[string]any{"AttributeName": attr, "Enabled": true}
			}
			if diff := cmp.Diff(wantTTL, props["TimeToLiveSpecification"]); diff != "" {
				t.Errorf("TimeToLiveSpecification (-schema.go +template):\n%s", diff)
			}
		})
	}
}

// recordCreateTables returns the CreateTable requests (as sent on the wire)
// and the TTL attributes CreateTables makes.
func recordCreateTables(t *testing.T, tables dynamo.Tables) (map[string]map[string]any, map[string]string) {
	t.Helper()
	var mu sync.Mutex
	created, ttl := map[string]map[string]any{}, map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		name, _ := in["TableName"].(string)
		var out any
		mu.Lock()
		switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810."); op {
		case "CreateTable":
			created[name] = in
			out = map[string]any{"TableDescription": map[string]any{"TableName": name, "TableStatus": "CREATING"}}
		case "DescribeTable":
			out = map[string]any{"Table": map[string]any{"TableName": name, "TableStatus": "ACTIVE"}}
		case "DescribeTimeToLive":
			out = map[string]any{"TimeToLiveDescription": map[string]any{"TimeToLiveStatus": "DISABLED"}}
		case "UpdateTimeToLive":
			spec, _ := in["TimeToLiveSpecification"].(map[string]any)
			ttl[name], _ = spec["AttributeName"].(string)
			out = map[string]any{"TimeToLiveSpecification": spec}
		default:
			t.Errorf("CreateTables called %s", op)
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	client := dynamodb.NewFromConfig(testenv.AWSConfig(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	if err := dynamo.CreateTables(t.Context(), client, tables); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return created, ttl
}

// normalizeTable orders what DynamoDB treats as a set.
func normalizeTable(key string, v any) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	by := map[string]string{"AttributeDefinitions": "AttributeName", "GlobalSecondaryIndexes": "IndexName"}[key]
	if by == "" {
		return v
	}
	list = slices.Clone(list)
	slices.SortFunc(list, func(a, b any) int { return strings.Compare(str(get(a, by)), str(get(b, by))) })
	return list
}

func TestPermissionsAreLeastPrivilege(t *testing.T) {
	tpl := loadTemplate(t)
	statements := tpl.statements(t)
	if len(statements) == 0 {
		t.Fatal("no IAM statements found")
	}
	wantDynamo := storeActions(t)
	tables := tpl.resources("AWS::DynamoDB::Table")
	wantDynamoResources := map[string]bool{}
	for id, table := range tables {
		wantDynamoResources["${"+id+".Arn}"] = true
		gsis, _ := get(table, "Properties", "GlobalSecondaryIndexes").([]any)
		for _, g := range gsis {
			wantDynamoResources["${"+id+".Arn}/index/"+str(get(g, "IndexName"))] = true
		}
	}
	gotDynamo, gotDynamoResources := map[string]bool{}, map[string]bool{}
	invokers := map[string]bool{}
	for _, s := range statements {
		if str(s.doc["Effect"]) != "Allow" {
			t.Errorf("%s: effect %v, want Allow", s.where, s.doc["Effect"])
		}
		actions, resources := strs(s.doc["Action"]), tpl.renderAll(s.doc["Resource"])
		if len(resources) == 0 || slices.Contains(resources, "*") {
			t.Errorf("%s: resources %v, want named ones", s.where, resources)
		}
		for _, a := range actions {
			service, _, _ := strings.Cut(a, ":")
			switch {
			case strings.Contains(a, "*"):
				t.Errorf("%s: wildcard action %s", s.where, a)
			case service == "dynamodb":
				gotDynamo[a] = true
				for _, r := range resources {
					gotDynamoResources[r] = true
					if strings.Contains(r, "/index/") && a != "dynamodb:Query" {
						t.Errorf("%s: %s on index %s; an index takes only queries", s.where, a, r)
					}
				}
			case a == "lambda:InvokeFunction":
				invokers[s.function] = true
				want := []string{"arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:fiso-workload-*"}
				if !slices.Equal(resources, want) {
					t.Errorf("%s: %s on %v, want %v", s.where, a, resources, want)
				}
				if tag := get(s.doc, "Condition", "StringEquals", "aws:ResourceTag/fiso:workload"); tag != "true" {
					t.Errorf("%s: %s without the condition aws:ResourceTag/fiso:workload = true (got %v)", s.where, a, s.doc["Condition"])
				}
			case a == "secretsmanager:GetSecretValue":
				want := []string{"arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:fiso/*"}
				if !slices.Equal(resources, want) {
					t.Errorf("%s: %s on %v, want %v", s.where, a, resources, want)
				}
			case a == "events:PutEvents":
				if want := []string{"${EventBus.Arn}"}; !slices.Equal(resources, want) {
					t.Errorf("%s: %s on %v, want %v", s.where, a, resources, want)
				}
			default:
				t.Errorf("%s: unexpected action %s", s.where, a)
			}
		}
	}
	if diff := cmp.Diff(wantDynamo, gotDynamo); diff != "" {
		t.Errorf("DynamoDB actions (-what shared/store/dynamo calls +allowed):\n%s", diff)
	}
	if diff := cmp.Diff(wantDynamoResources, gotDynamoResources); diff != "" {
		t.Errorf("DynamoDB resources (-tables and indexes +allowed):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"ApiFunction": true}, invokers); diff != "" {
		t.Errorf("functions allowed to invoke workloads (-want +got):\n%s", diff)
	}
}

// storeActions is the set of IAM actions the DynamoDB store needs: one per
// method of its dynamo.API, a transaction's being those of the items it
// writes (the Put, Update, Delete and ConditionCheck literals in the
// package's code).
func storeActions(t *testing.T) map[string]bool {
	t.Helper()
	items := map[string]string{"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
	used := map[string]bool{}
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(root, "shared", "store", "dynamo", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources of shared/store/dynamo: %v", err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		typesName := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/aws/aws-sdk-go-v2/service/dynamodb/types" {
				typesName = "types"
				if imp.Name != nil {
					typesName = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.CompositeLit); ok {
				if sel, ok := lit.Type.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == typesName && items[sel.Sel.Name] != "" {
						used["dynamodb:"+items[sel.Sel.Name]] = true
					}
				}
			}
			return true
		})
	}
	actions := map[string]bool{}
	api := reflect.TypeFor[dynamo.API]()
	for i := range api.NumMethod() {
		switch m := api.Method(i).Name; m {
		case "TransactWriteItems", "TransactGetItems":
			if len(used) == 0 {
				t.Errorf("dynamo.API has %s but no transaction items were found in the package", m)
			}
			maps.Copy(actions, used)
		default:
			actions["dynamodb:"+m] = true
		}
	}
	return actions
}

func TestEventsBelongToTheirFunctions(t *testing.T) {
	tpl := loadTemplate(t)
	rules := map[string]string{} // rule name -> function
	for id := range deployed() {
		evs, _ := get(tpl.resource(t, id), "Properties", "Events").(map[string]any)
		for _, ev := range evs {
			if str(get(ev, "Type")) == "Schedule" {
				rules[tpl.resolve(get(ev, "Properties", "Name"))] = id
			}
		}
	}
	top, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	nested, err := filepath.Glob(filepath.Join(root, "events", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(top) == 0 || len(nested) == 0 {
		t.Fatalf("events/*.json: %d, events/*/*.json: %d; want some of each", len(top), len(nested))
	}
	invoked := map[string]bool{}
	for _, path := range append(top, nested...) {
		rel, _ := filepath.Rel(root, path)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Dir(path) == filepath.Join(root, "events") {
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Version != "2.0" || ev.RouteKey != "$default" || ev.RequestContext.HTTP.Method == "" {
					t.Errorf("version %q routeKey %q method %q; want an HTTP API 2.0 event of the $default route (ApiFunction's)", ev.Version, ev.RouteKey, ev.RequestContext.HTTP.Method)
				}
				invoked["ApiFunction"] = true
				return
			}
			var ev events.EventBridgeEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || len(ev.Resources) != 1 {
				t.Fatalf("detail-type %q source %q resources %v; want one scheduled event", ev.DetailType, ev.Source, ev.Resources)
			}
			_, rule, _ := strings.Cut(ev.Resources[0], ":rule/")
			id, ok := rules[rule]
			if !ok {
				t.Fatalf("rule %q is no schedule of the template (have %v)", rule, rules)
			}
			if job := filepath.Base(filepath.Dir(path)); !strings.EqualFold(id, job+"Function") {
				t.Errorf("events/%s/ holds a firing of %s's rule", job, id)
			}
			invoked[id] = true
		})
	}
	for id, fn := range deployed() {
		if !fn.workload && !invoked[id] {
			t.Errorf("no sample event for %s", id)
		}
	}
}

func TestTemplateIsLintClean(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		testenv.Require(t, "cfn-lint (pip install cfn-lint): %v", err)
	}
	cmd := exec.CommandContext(t.Context(), lint, "template.yaml")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}

// TestSAMConfig checks samconfig.toml's sections and that its parameter
// overrides name parameters the template has.
func TestSAMConfig(t *testing.T) {
	tpl := loadTemplate(t)
	cfg := readSAMConfig(t, filepath.Join(root, "samconfig.toml"))
	if cfg[""]["version"] != "0.1" {
		t.Errorf("version = %q, want 0.1", cfg[""]["version"])
	}
	for section, want := range map[string]map[string]string{
		"default.global.parameters": {"stack_name": "fiso"},
		"default.deploy.parameters": {"capabilities": "CAPABILITY_IAM", "resolve_s3": "true"},
		"default.build.parameters":  {},
	} {
		got, ok := cfg[section]
		if !ok {
			t.Errorf("section [%s] is missing", section)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("[%s] %s = %q, want %q", section, k, got[k], v)
			}
		}
		if got["cached"] == "true" {
			t.Errorf("[%s] cached = true: SAM's cache watches CodeUri only, not shared/", section)
		}
	}
	if cfg["default.global.parameters"]["region"] == "" {
		t.Error("[default.global.parameters] has no region")
	}
	overrides := regexp.MustCompile(`(\w+)=`)
	seen := 0
	for section, kv := range cfg {
		for _, m := range overrides.FindAllStringSubmatch(kv["parameter_overrides"], -1) {
			seen++
			if _, ok := tpl.parameters[m[1]]; !ok {
				t.Errorf("[%s] overrides %s, which template.yaml does not declare", section, m[1])
			}
		}
	}
	if seen == 0 {
		t.Error("no parameter_overrides found")
	}
}

// readSAMConfig reads the flat key = value tables of a samconfig.toml
// (strings, booleans and numbers), by section; "" holds the top level.
func readSAMConfig(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]string{"": {}}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			out[section] = map[string]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: cannot read %q", path, line)
			}
			v = strings.TrimSpace(v)
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			out[section][strings.TrimSpace(k)] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// --- template.yaml as data

type template struct {
	parameters map[string]any
	globals    map[string]any
	all        map[string]any
}

func loadTemplate(t *testing.T) *template {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	v, err := cfnValue(&doc)
	if err != nil {
		t.Fatalf("read template.yaml: %v", err)
	}
	top, ok := v.(map[string]any)
	if !ok {
		t.Fatal("template.yaml is not a mapping")
	}
	if top["Transform"] != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v, want AWS::Serverless-2016-10-31", top["Transform"])
	}
	tpl := &template{all: map[string]any{}}
	tpl.parameters, _ = top["Parameters"].(map[string]any)
	tpl.globals, _ = get(top, "Globals", "Function").(map[string]any)
	tpl.all, _ = top["Resources"].(map[string]any)
	return tpl
}

// cfnValue turns a YAML node into plain values, CloudFormation's short-form
// tags into their long form: !Ref X is {"Ref": "X"}, !Sub s is
// {"Fn::Sub": s}, !GetAtt A.B is {"Fn::GetAtt": ["A", "B"]}.
func cfnValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: want one document", n.Line)
		}
		return cfnValue(n.Content[0])
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	}
	if tag, ok := strings.CutPrefix(n.Tag, "!"); ok && !strings.HasPrefix(tag, "!") {
		var v any = n.Value
		if n.Kind != yaml.ScalarNode {
			plain := *n
			plain.Tag = ""
			var err error
			if v, err = cfnValue(&plain); err != nil {
				return nil, err
			}
		}
		if tag == "GetAtt" && n.Kind == yaml.ScalarNode {
			resource, attr, _ := strings.Cut(n.Value, ".")
			v = []any{resource, attr}
		}
		key := "Fn::" + tag
		if tag == "Ref" || tag == "Condition" {
			key = tag
		}
		return map[string]any{key: v}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
}

func (tpl *template) resources(typ string) map[string]any {
	out := map[string]any{}
	for id, r := range tpl.all {
		if str(get(r, "Type")) == typ {
			out[id] = r
		}
	}
	return out
}

func (tpl *template) resource(t *testing.T, id string) map[string]any {
	t.Helper()
	r, ok := tpl.all[id].(map[string]any)
	if !ok {
		t.Fatalf("template.yaml has no resource %q", id)
	}
	return r
}

// functionProperty is a function's property, or the Globals' one.
func (tpl *template) functionProperty(id, prop string) any {
	if v := get(tpl.all[id], "Properties", prop); v != nil {
		return v
	}
	return tpl.globals[prop]
}

// resolvedNames maps each resource of typ to its prop, resolved.
func (tpl *template) resolvedNames(typ, prop string) map[string]string {
	out := map[string]string{}
	for id, r := range tpl.resources(typ) {
		out[id] = tpl.resolve(get(r, "Properties", prop))
	}
	return out
}

// resolve evaluates v with every parameter at its default: a string, a Ref
// to a parameter, or a Sub of parameters. Anything else resolves to "".
func (tpl *template) resolve(v any) string {
	s := tpl.render(v)
	if strings.Contains(s, "${") {
		return ""
	}
	return s
}

// render writes v as a Sub string: references to parameters take their
// defaults; other references stay ${X} and ${X.Attr}.
func (tpl *template) render(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			return tpl.render(map[string]any{"Fn::Sub": "${" + ref + "}"})
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			return fmt.Sprintf("${%v.%v}", att[0], att[1])
		}
		if sub, ok := v["Fn::Sub"].(string); ok {
			return regexp.MustCompile(`\$\{([\w:.]+)\}`).ReplaceAllStringFunc(sub, func(m string) string {
				if p, ok := tpl.parameters[m[2:len(m)-1]]; ok {
					return fmt.Sprint(get(p, "Default"))
				}
				return m
			})
		}
	}
	return fmt.Sprint(v)
}

func (tpl *template) renderAll(v any) []string {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		if x != nil {
			out = append(out, tpl.render(x))
		}
	}
	return out
}

type statement struct {
	where    string
	function string // "" for a managed policy
	doc      map[string]any
}

// statements returns every IAM statement the functions get: those of the
// managed policies their Policies reference and their inline ones. A
// managed policy nothing references is reported.
func (tpl *template) statements(t *testing.T) []statement {
	t.Helper()
	var out []statement
	add := func(where, fn string, policy any) {
		list, ok := get(policy, "Statement").([]any)
		if !ok {
			t.Errorf("%s: no Statement list", where)
		}
		for _, s := range list {
			doc, _ := s.(map[string]any)
			out = append(out, statement{where: where, function: fn, doc: doc})
		}
	}
	attached := map[string]bool{}
	for id := range tpl.resources("AWS::Serverless::Function") {
		policies, _ := get(tpl.all[id], "Properties", "Policies").([]any)
		for i, p := range policies {
			if ref := refName(p); ref != "" {
				managed := tpl.resource(t, ref)
				if str(managed["Type"]) != "AWS::IAM::ManagedPolicy" {
					t.Errorf("%s Policies[%d] references %s, not a managed policy of the template", id, i, ref)
					continue
				}
				attached[ref] = true
				add(ref+" (attached to "+id+")", id, get(managed, "Properties", "PolicyDocument"))
				continue
			}
			add(fmt.Sprintf("%s Policies[%d]", id, i), id, p)
		}
	}
	for id := range tpl.resources("AWS::IAM::ManagedPolicy") {
		if !attached[id] {
			t.Errorf("managed policy %s is attached to no function", id)
		}
	}
	for id := range tpl.resources("AWS::IAM::Role") {
		t.Errorf("role %s: declare permissions through a function's Policies so this test sees them", id)
	}
	return out
}

// --- small helpers over decoded YAML

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, str(x))
	}
	return out
}

func refName(v any) string { return str(get(v, "Ref")) }
