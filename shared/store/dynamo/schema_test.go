package dynamo

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/invocation"
)

// tableShape is what the tests check of a described table, in a form cmp
// can print.
type tableShape struct {
	Keys       string
	Attributes []string
	Billing    types.BillingMode
	Indexes    []string
}

func shapeOf(d *types.TableDescription) tableShape {
	keys := func(ks []types.KeySchemaElement) string {
		var parts []string
		for _, k := range ks {
			parts = append(parts, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
		}
		return strings.Join(parts, ", ")
	}
	s := tableShape{Keys: keys(d.KeySchema)}
	for _, a := range d.AttributeDefinitions {
		s.Attributes = append(s.Attributes, aws.ToString(a.AttributeName)+" "+string(a.AttributeType))
	}
	if d.BillingModeSummary != nil {
		s.Billing = d.BillingModeSummary.BillingMode
	}
	for _, g := range d.GlobalSecondaryIndexes {
		s.Indexes = append(s.Indexes, fmt.Sprintf("%s: %s; %s", aws.ToString(g.IndexName), keys(g.KeySchema), g.Projection.ProjectionType))
	}
	slices.Sort(s.Attributes)
	slices.Sort(s.Indexes)
	return s
}

func TestCreateTables(t *testing.T) {
	rec := &recorder{ops: map[string]int{}}
	client := newClient(t, rec)
	tables := newTables(t, client)
	if err := CreateTables(t.Context(), client, tables); err != nil {
		t.Fatalf("CreateTables on existing tables: %v", err)
	}
	tests := []struct {
		table string
		want  tableShape
	}{
		{table: tables.Config, want: tableShape{
			Keys:       "pk HASH, sk RANGE",
			Attributes: []string{"pk S", "sk S"},
			Billing:    types.BillingModePayPerRequest,
		}},
		{table: tables.Invocations, want: tableShape{
			Keys:       "function_name HASH, sk RANGE",
			Attributes: []string{"day_shard S", "function_name S", "invocation_id S", "key_id S", "sk S"},
			Billing:    types.BillingModePayPerRequest,
			Indexes: []string{
				"by-day: day_shard HASH, sk RANGE; ALL",
				"by-id: invocation_id HASH; KEYS_ONLY",
				"by-key: key_id HASH, sk RANGE; ALL",
			},
		}},
		{table: tables.Aggregates, want: tableShape{
			Keys:       "pk HASH, sk RANGE",
			Attributes: []string{"pk S", "sk S"},
			Billing:    types.BillingModePayPerRequest,
		}},
	}
	for _, tc := range tests {
		out, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(tc.table)})
		if err != nil {
			t.Fatalf("DescribeTable(%s): %v", tc.table, err)
		}
		if out.Table.TableStatus != types.TableStatusActive {
			t.Errorf("%s status: got %s, want ACTIVE", tc.table, out.Table.TableStatus)
		}
		if d := cmp.Diff(tc.want, shapeOf(out.Table)); d != "" {
			t.Errorf("%s schema mismatch (-want +got):\n%s", tc.table, d)
		}
	}
	ttl, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tables.Invocations)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "ttl" {
		t.Errorf("time to live: got %+v, want ENABLED on ttl", d)
	}
	if n := rec.count("UpdateTimeToLive"); n != 1 {
		t.Errorf("UpdateTimeToLive calls over two CreateTables: got %d, want 1", n)
	}
}

func TestInvocationItem(t *testing.T) {
	s, client := openStore(t)
	ts := time.Date(2031, time.March, 14, 23, 59, 59, 999999999, time.UTC)
	tests := []struct {
		name      string
		keyID     string
		expiresAt time.Time
		wantTTL   string // "" when absent
	}{
		{name: "with key and expiry", keyID: "a1b2c3d4e5f60718", expiresAt: time.Date(2031, time.April, 1, 0, 0, 0, 500, time.UTC), wantTTL: "1932768000"},
		{name: "without key or expiry"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := invocation.Record{
				ID: fmt.Sprintf("01JITEM%d", i), FunctionName: "resize", Timestamp: ts, KeyID: tc.keyID, ExpiresAt: tc.expiresAt,
				Attempts: []invocation.Attempt{{DeploymentID: "aws-us-east-1", Provider: "aws", Outcome: invocation.OK, StartedAt: ts}},
			}
			if err := s.PutInvocation(t.Context(), r); err != nil {
				t.Fatalf("PutInvocation: %v", err)
			}
			sk := invocation.PositionOf(r).SortKey()
			out, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{
				TableName: aws.String(s.tables.Invocations),
				Key:       map[string]types.AttributeValue{"function_name": &types.AttributeValueMemberS{Value: "resize"}, "sk": &types.AttributeValueMemberS{Value: sk}},
			})
			if err != nil || len(out.Item) == 0 {
				t.Fatalf("GetItem(resize, %s): %v, %d attributes", sk, err, len(out.Item))
			}
			item := out.Item
			if got := str(item["sk"]); got != "20310314T235959.999999999Z#"+r.ID {
				t.Errorf("sk: got %q", got)
			}
			if got, want := str(item["day_shard"]), dayShard(r); got != want || !strings.HasPrefix(got, "2031-03-14#") {
				t.Errorf("day_shard: got %q, want %q on 2031-03-14", got, want)
			}
			if got := str(item["timestamp"]); got != "2031-03-14T23:59:59.999999999Z" {
				t.Errorf("timestamp: got %q, want RFC 3339 UTC with nanoseconds", got)
			}
			ttl, hasTTL := item["ttl"].(*types.AttributeValueMemberN)
			switch {
			case tc.wantTTL == "" && item["ttl"] != nil:
				t.Errorf("ttl: got %#v, want none", item["ttl"])
			case tc.wantTTL != "" && (!hasTTL || ttl.Value != tc.wantTTL):
				t.Errorf("ttl: got %#v, want N %s", item["ttl"], tc.wantTTL)
			}
			if _, ok := item["key_id"]; ok != (tc.keyID != "") {
				t.Errorf("key_id present: got %t, want %t", ok, tc.keyID != "")
			}
			if attempts, ok := item["attempts"].(*types.AttributeValueMemberL); !ok || len(attempts.Value) != 1 {
				t.Errorf("attempts: got %#v, want a native list", item["attempts"])
			} else if _, ok := attempts.Value[0].(*types.AttributeValueMemberM); !ok {
				t.Errorf("attempts[0]: got %#v, want a native map", attempts.Value[0])
			}
		})
	}
}

func str(av types.AttributeValue) string {
	if s, ok := av.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return fmt.Sprintf("<not a string: %#v>", av)
}

func TestDayShardSpreadsOneDay(t *testing.T) {
	ts := time.Date(2031, time.March, 14, 12, 0, 0, 0, time.FixedZone("UTC+14", 14*3600))
	seen := map[string]int{}
	for i := range 800 {
		r := invocation.Record{ID: fmt.Sprintf("01J%023d", i), Timestamp: ts}
		shard := dayShard(r)
		if shard != dayShard(r) {
			t.Fatalf("dayShard is not stable for %q", r.ID)
		}
		seen[shard]++
	}
	if len(seen) != dayShards {
		t.Errorf("shards used: got %d (%v), want %d", len(seen), seen, dayShards)
	}
	for shard, n := range seen {
		if !strings.HasPrefix(shard, "2031-03-13#") { // the UTC day
			t.Errorf("shard %q is not on the UTC day 2031-03-13", shard)
		}
		if n < 50 {
			t.Errorf("shard %q got %d of 800 records, want a fair share", shard, n)
		}
	}
}
