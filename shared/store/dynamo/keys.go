package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/fault"
)

// keyItem is an API key as stored: the domain type leaves its hash out of
// JSON so that it never reaches an API response, but the store must keep it.
type keyItem struct {
	ID        string      `json:"id"`
	Hash      string      `json:"hash"`
	Name      string      `json:"name"`
	Role      apikey.Role `json:"role"`
	Team      string      `json:"team,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
}

func (k keyItem) key() apikey.Key {
	return apikey.Key{ID: k.ID, Hash: k.Hash, Name: k.Name, Role: k.Role, Team: k.Team, CreatedAt: k.CreatedAt}
}

// PutKey implements store.Keys.
func (s *Store) PutKey(ctx context.Context, k apikey.Key) error {
	if err := checkName("hash", k.Hash); err != nil {
		return fmt.Errorf("put api key %q: %w", k.ID, err)
	}
	item, err := marshalMap(keyItem{ID: k.ID, Hash: k.Hash, Name: k.Name, Role: k.Role, Team: k.Team, CreatedAt: k.CreatedAt})
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
	k, found, err := getConfig[keyItem](ctx, s, kindKey, hash)
	if err == nil && !found {
		err = fault.NotFound("no API key has this hash")
	}
	if err != nil {
		return apikey.Key{}, fmt.Errorf("get api key by hash: %w", err)
	}
	return k.key(), nil
}

// ListKeys implements store.Keys.
func (s *Store) ListKeys(ctx context.Context) ([]apikey.Key, error) {
	items, err := listConfig[keyItem](ctx, s, kindKey)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	keys := make([]apikey.Key, len(items))
	for i, k := range items {
		keys[i] = k.key()
	}
	slices.SortFunc(keys, func(a, b apikey.Key) int { return strings.Compare(a.ID, b.ID) })
	return keys, nil
}

// DeleteKey implements store.Keys. Items are keyed by hash, so it finds the
// key by reading the (few) keys rather than keeping another index.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	items, err := listConfig[keyItem](ctx, s, kindKey)
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
