package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// PutKey implements store.Keys.
func (s *Store) PutKey(ctx context.Context, k apikey.Key) error {
	if err := store.CheckKeyPart("hash", k.Hash); err != nil {
		return fmt.Errorf("put api key %q: %w", k.ID, err)
	}
	item, err := marshalMap(store.StoreKey(k))
	if err != nil {
		return fmt.Errorf("put api key %q: encode: %w", k.ID, err)
	}
	for a, v := range configKey(kindKey, k.Hash) {
		item[a] = v
	}
	expr, err := expression.NewBuilder().WithCondition(attr(attrPK).AttributeNotExists()).Build()
	if err != nil {
		return fmt.Errorf("put api key %q: build condition: %w", k.ID, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.tables.Config),
		Item:                     item,
		ConditionExpression:      expr.Condition(),
		ExpressionAttributeNames: expr.Names(),
	})
	if _, failed := conditionFailed(err); failed {
		err = fault.Conflict("API key %q is already stored", k.ID)
	}
	if err != nil {
		return fmt.Errorf("put api key %q: %w", k.ID, err)
	}
	return nil
}

// KeyByHash implements store.Keys.
func (s *Store) KeyByHash(ctx context.Context, hash string) (apikey.Key, error) {
	k, found, err := getConfig[store.StoredKey](ctx, s, kindKey, hash)
	if err == nil && !found {
		err = fault.NotFound("no API key has this hash")
	}
	if err != nil {
		return apikey.Key{}, fmt.Errorf("get api key by hash: %w", err)
	}
	return k.Key(), nil
}

// ListKeys implements store.Keys.
func (s *Store) ListKeys(ctx context.Context) ([]apikey.Key, error) {
	items, err := listConfig[store.StoredKey](ctx, s, kindKey)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	keys := make([]apikey.Key, len(items))
	for i, k := range items {
		keys[i] = k.Key()
	}
	slices.SortFunc(keys, func(a, b apikey.Key) int { return strings.Compare(a.ID, b.ID) })
	return keys, nil
}

// DeleteKey implements store.Keys. Items are keyed by hash, so it finds the
// key by reading the (few) keys rather than keeping another index.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	items, err := listConfig[store.StoredKey](ctx, s, kindKey)
	if err != nil {
		return fmt.Errorf("delete api key %q: %w", id, err)
	}
	expr, err := expression.NewBuilder().WithCondition(exists()).Build()
	if err != nil {
		return fmt.Errorf("delete api key %q: build condition: %w", id, err)
	}
	deleted := false
	for _, k := range items {
		if k.ID != id {
			continue
		}
		_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                aws.String(s.tables.Config),
			Key:                      configKey(kindKey, k.Hash),
			ConditionExpression:      expr.Condition(),
			ExpressionAttributeNames: expr.Names(),
		})
		if _, failed := conditionFailed(err); failed {
			continue // another caller deleted it first
		}
		if err != nil {
			return fmt.Errorf("delete api key %q: %w", id, err)
		}
		deleted = true
	}
	if !deleted {
		return fmt.Errorf("delete api key %q: %w", id, fault.NotFound("API key %q does not exist", id))
	}
	return nil
}
