package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// PutKey implements store.Keys. An admin key is written in one transaction
// with the admin-key counter, which is what lets DeleteKey refuse to remove
// the last one under concurrency.
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
	put := &types.Put{
		TableName:                aws.String(s.tables.Config),
		Item:                     item,
		ConditionExpression:      expr.Condition(),
		ExpressionAttributeNames: expr.Names(),
	}
	if k.Role == apikey.Admin {
		count, err := s.adminCount(expression.Add(attr("n"), value(1)), nil)
		if err == nil {
			_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
				TransactItems: []types.TransactWriteItem{{Put: put}, {Update: count}},
			})
		}
		if reasons, ok := canceledBy(err); ok && reasons[0] {
			err = fault.Conflict("API key %q is already stored", k.ID)
		}
		if err != nil {
			return fmt.Errorf("put api key %q: %w", k.ID, err)
		}
		return nil
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                put.TableName,
		Item:                     put.Item,
		ConditionExpression:      put.ConditionExpression,
		ExpressionAttributeNames: put.ExpressionAttributeNames,
	})
	if _, failed := conditionFailed(err); failed {
		err = fault.Conflict("API key %q is already stored", k.ID)
	}
	if err != nil {
		return fmt.Errorf("put api key %q: %w", k.ID, err)
	}
	return nil
}

// adminCount is the update of the admin-key counter (SETTING/admin_keys).
func (s *Store) adminCount(upd expression.UpdateBuilder, cond *expression.ConditionBuilder) (*types.Update, error) {
	b := expression.NewBuilder().WithUpdate(upd)
	if cond != nil {
		b = b.WithCondition(*cond)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build admin-key count update: %w", err)
	}
	return &types.Update{
		TableName:                 aws.String(s.tables.Config),
		Key:                       configKey(kindSetting, settingAdminKeys),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, nil
}

// canceledBy reports which items of a canceled transaction failed their
// condition; ok is false when err is not such a cancellation.
func canceledBy(err error) (failed []bool, ok bool) {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return nil, false
	}
	failed = make([]bool, len(canceled.CancellationReasons))
	for i, r := range canceled.CancellationReasons {
		failed[i] = aws.ToString(r.Code) == "ConditionalCheckFailed"
	}
	return failed, true
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
// key by reading the (few) keys rather than keeping another index. Deleting
// an admin key decrements the admin-key counter on condition that another
// admin key remains, in the same transaction.
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
		del := &types.Delete{
			TableName:                aws.String(s.tables.Config),
			Key:                      configKey(kindKey, k.Hash),
			ConditionExpression:      expr.Condition(),
			ExpressionAttributeNames: expr.Names(),
		}
		if k.Role == apikey.Admin {
			another := attr("n").GreaterThan(value(1))
			count, err := s.adminCount(expression.Set(attr("n"), attr("n").Minus(value(1))), &another)
			if err == nil {
				_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
					TransactItems: []types.TransactWriteItem{{Delete: del}, {Update: count}},
				})
			}
			if reasons, ok := canceledBy(err); ok {
				switch {
				case reasons[0]:
					continue // another caller deleted it first
				case reasons[1]:
					return fmt.Errorf("delete api key %q: %w", id, store.LastAdminKey(id))
				}
			}
			if err != nil {
				return fmt.Errorf("delete api key %q: %w", id, err)
			}
			deleted = true
			continue
		}
		_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                del.TableName,
			Key:                      del.Key,
			ConditionExpression:      del.ConditionExpression,
			ExpressionAttributeNames: del.ExpressionAttributeNames,
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
