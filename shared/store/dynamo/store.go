package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fiso-dev/fiso/shared/store"
)

// API is the part of the DynamoDB client the store uses (*dynamodb.Client
// has it). Scan is deliberately absent: the store cannot read a whole table.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var (
	_ store.Store = (*Store)(nil)
	_ API         = (*dynamodb.Client)(nil)
)

// Store is a store.Store in two DynamoDB tables. It is safe for concurrent
// use; it holds no state of its own besides its configuration.
type Store struct {
	db     API
	tables Tables
	now    func() time.Time
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that decides which invocation records have
// expired (default time.Now). DynamoDB deletes expired items only within
// days, so the store filters them out itself.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// New returns a store on existing tables (see CreateTables). The client is
// the caller's; Close does not close it.
func New(client API, tables Tables, opts ...Option) *Store {
	s := &Store{db: client, tables: tables, now: time.Now}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Close implements store.Store; the client needs no closing.
func (s *Store) Close() error { return nil }

// Items are encoded under the domain types' json names, so the attribute
// names in DynamoDB are the ones the API shows, and times as RFC 3339 UTC
// strings with nanoseconds.
func encodeOptions(o *attributevalue.EncoderOptions) {
	o.TagKey = "json"
	o.EncodeTime = func(t time.Time) (types.AttributeValue, error) {
		return &types.AttributeValueMemberS{Value: t.UTC().Format(time.RFC3339Nano)}, nil
	}
}

func decodeOptions(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

func marshalMap(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, encodeOptions)
}

func unmarshalMap[T any](item map[string]types.AttributeValue) (T, error) {
	var v T
	err := attributevalue.UnmarshalMapWithOptions(item, &v, decodeOptions)
	return v, err
}

// value is expression.Value with the store's encoding.
func value(v any) expression.ValueBuilder {
	return expression.ValueWithOptions(v, func(o *expression.ValueBuilderOptions) {
		o.EncoderOptions = append(o.EncoderOptions, encodeOptions)
	})
}

func attr(n string) expression.NameBuilder { return expression.Name(n) }

func configKey(kind, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: kind},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// exists is the condition that the item being written is already stored.
func exists() expression.ConditionBuilder { return attr(attrPK).AttributeExists() }

// getConfig reads one config item with a strongly consistent read; found is
// false when there is none.
func getConfig[T any](ctx context.Context, s *Store, kind, sk string) (v T, found bool, err error) {
	if sk == "" {
		return v, false, nil // DynamoDB refuses empty keys; nothing has one
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.tables.Config),
		Key:            configKey(kind, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return v, false, err
	}
	if len(out.Item) == 0 {
		return v, false, nil
	}
	v, err = unmarshalMap[T](out.Item)
	if err != nil {
		return v, true, fmt.Errorf("decode %s %q: %w", strings.ToLower(kind), sk, err)
	}
	return v, true, nil
}

// listConfig reads every config item of one kind, in sk order.
func listConfig[T any](ctx context.Context, s *Store, kind string) ([]T, error) {
	items, err := s.queryAll(ctx, s.tables.Config, kind, true)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(items))
	for _, item := range items {
		v, err := unmarshalMap[T](item)
		if err != nil {
			return nil, fmt.Errorf("decode %s item: %w", strings.ToLower(kind), err)
		}
		out = append(out, v)
	}
	return out, nil
}

// queryAll reads every item of one partition of a pk/sk table, in sk order.
func (s *Store) queryAll(ctx context.Context, table, pk string, consistent bool) ([]map[string]types.AttributeValue, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(expression.Key(attrPK).Equal(value(pk))).Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(consistent),
	}
	var out []map[string]types.AttributeValue
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// conditionFailed returns the item as it was when a conditional write
// failed (nil when there was none), and whether err is such a failure.
func conditionFailed(err error) (map[string]types.AttributeValue, bool) {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, false
	}
	return ccf.Item, true
}

// versioned is the part of a stored item the version rules look at.
type versioned struct {
	Version int64 `json:"version"`
}

// versionConflict words why a write with an expected version failed, or
// returns nil when the version was not the reason. store/embedded words it
// the same way.
func versionConflict(kind, key string, old map[string]types.AttributeValue, expect int64) error {
	if expect == store.AnyVersion {
		return nil
	}
	if len(old) == 0 {
		return store.CheckVersion(kind, key, false, 0, expect)
	}
	v, err := unmarshalMap[versioned](old)
	if err != nil {
		return fmt.Errorf("decode %s %q: %w", kind, key, err)
	}
	return store.CheckVersion(kind, key, true, v.Version, expect)
}
