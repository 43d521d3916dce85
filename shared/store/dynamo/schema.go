package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Tables names the tables a Store uses.
type Tables struct {
	// Config holds functions, policies, API keys, settings and rate cards.
	Config string
	// Invocations holds the invocation log.
	Invocations string
	// Aggregates holds the cost counters every invocation adds to.
	Aggregates string
}

// Attribute and index names of the schema (see the package doc).
const (
	attrPK           = "pk"
	attrSK           = "sk"
	attrFunctionName = "function_name"
	attrInvocationID = "invocation_id"
	attrKeyID        = "key_id"
	attrDayShard     = "day_shard"
	attrTTL          = "ttl"

	IndexByID  = "by-id"
	IndexByKey = "by-key"
	IndexByDay = "by-day"

	// dayShards is how many by-day partitions one day's records spread over.
	dayShards = 8
)

// Partition keys of the config table.
const (
	kindFunction = "FUNCTION"
	kindPolicy   = "POLICY"
	kindKey      = "KEY"
	kindSetting  = "SETTING"

	settingDefaultFunction = "default_function"
	// settingAdminKeys counts admin keys (attribute n), so that the last one
	// cannot be deleted even by concurrent requests.
	settingAdminKeys = "admin_keys"

	// kindCard holds the rate card in force per key (sk = key); history
	// items are pk = kindCardHistory + key, sk = fetched_at#version.
	kindCard        = "CARD"
	kindCardHistory = "CARDV#"
	// A function's models: pk MODEL#<function>, sk deployment ID; history:
	// pk MODELV#<function>#<deployment>, sk the version zero-padded.
	kindModel        = "MODEL#"
	kindModelHistory = "MODELV#"
	// Budgets: definitions in the config table (pk BUDGET, sk scope#id);
	// counters, reservations and alerts in the aggregates table (see
	// budgets.go).
	kindBudget        = "BUDGET"
	kindBudgetCounter = "BUDGET#"
	kindReservation   = "RESV#"
	kindAlert         = "ALERT"
	kindAlertID       = "ALERTID"
	reservationShards = 8

	// aggregateShards is how many items one dimension value's counters
	// spread over in a month.
	aggregateShards = 8
)

// configTable holds functions, policies, keys, settings and rate cards
// under generic pk/sk keys (see the package doc).
func configTable(name string) *dynamodb.CreateTableInput { return pkSKTable(name) }

// pkSKTable is an on-demand table keyed by string pk and sk.
func pkSKTable(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: keySchema(attrPK, attrSK),
	}
}

func invocationsTable(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrFunctionName), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrInvocationID), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrKeyID), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrDayShard), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: keySchema(attrFunctionName, attrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{
				IndexName:  aws.String(IndexByID),
				KeySchema:  keySchema(attrInvocationID, ""),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
			},
			{
				IndexName:  aws.String(IndexByKey),
				KeySchema:  keySchema(attrKeyID, attrSK),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			},
			{
				IndexName:  aws.String(IndexByDay),
				KeySchema:  keySchema(attrDayShard, attrSK),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			},
		},
	}
}

// aggregatesTable holds atomic counters: pk "<dimension>#<YYYY-MM>#<shard>",
// sk "<value>", one item per month, shard and value with per-day attributes
// c<DD> (pico-dollars), n<DD> (invocations), e<DD> (errors) and u<DD>
// (unpriced). A month of one dimension is aggregateShards Queries, sent
// together; the shards spread a hot value's writes over as many partitions.
func aggregatesTable(name string) *dynamodb.CreateTableInput { return pkSKTable(name) }

func keySchema(hash, sort string) []types.KeySchemaElement {
	ks := []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}}
	if sort != "" {
		ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(sort), KeyType: types.KeyTypeRange})
	}
	return ks
}

// CreateTables creates the tables as the package doc describes, waits until
// they are active and enables TTL on the invocation log. Tables that already
// exist are left as they are, so it is safe to call on every start of a
// local run.
func CreateTables(ctx context.Context, client *dynamodb.Client, tables Tables) error {
	for _, in := range []*dynamodb.CreateTableInput{configTable(tables.Config), invocationsTable(tables.Invocations), aggregatesTable(tables.Aggregates)} {
		if err := createTable(ctx, client, in); err != nil {
			return err
		}
	}
	if err := enableTTL(ctx, client, tables.Invocations); err != nil {
		return err
	}
	return nil
}

func createTable(ctx context.Context, client *dynamodb.Client, in *dynamodb.CreateTableInput) error {
	name := aws.ToString(in.TableName)
	_, err := client.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Second, 10*time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName}, 5*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s to become active: %w", name, err)
	}
	return nil
}

func enableTTL(ctx context.Context, client *dynamodb.Client, table string) error {
	out, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("describe time to live of %s: %w", table, err)
	}
	if d := out.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == attrTTL &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("enable time to live on %s.%s: %w", table, attrTTL, err)
	}
	return nil
}
