package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/store"
)

// cardItem is a card with its config-table keys.
func cardItem(c pricing.Card, pk, sk string) (map[string]types.AttributeValue, error) {
	item, err := marshalMap(c)
	if err != nil {
		return nil, fmt.Errorf("encode rate card %s: %w", c.KeyOf(), err)
	}
	item[attrPK] = &types.AttributeValueMemberS{Value: pk}
	item[attrSK] = &types.AttributeValueMemberS{Value: sk}
	return item, nil
}

// PutRateCard implements store.RateCards with one transaction: the history
// item and the card in force, on condition that the card in force is still
// the one read (so two pulls racing cannot both think they replaced it).
func (s *Store) PutRateCard(ctx context.Context, c pricing.Card) (bool, error) {
	if err := store.CheckCard(c); err != nil {
		return false, fmt.Errorf("put rate card: %w", err)
	}
	key := c.KeyOf().String()
	old, found, err := getConfig[pricing.Card](ctx, s, kindCard, key)
	if err != nil {
		return false, fmt.Errorf("put rate card %s: %w", key, err)
	}
	if found && old.Version == c.Version {
		return false, nil
	}
	current, err := cardItem(c, kindCard, key)
	if err != nil {
		return false, err
	}
	history, err := cardItem(c, kindCardHistory+key, c.FetchedAt.UTC().Format("20060102T150405.000000000Z")+"#"+c.Version)
	if err != nil {
		return false, err
	}
	cond := attr(attrPK).AttributeNotExists()
	if found {
		cond = attr("version").Equal(value(old.Version))
	}
	moved, err := s.putWithHistory(ctx, history, current, cond)
	if moved {
		return false, fmt.Errorf("put rate card %s: %w", key, fault.Conflict("another pull replaced the rate card %s meanwhile; pull again", key))
	}
	if err != nil {
		return false, fmt.Errorf("put rate card %s: %w", key, err)
	}
	return true, nil
}

// putWithHistory writes a versioned item's history copy and the item in
// force in one transaction, the latter on condition cond; moved reports
// that cond failed (another writer replaced the item meanwhile).
func (s *Store) putWithHistory(ctx context.Context, history, current map[string]types.AttributeValue, cond expression.ConditionBuilder) (moved bool, err error) {
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return false, fmt.Errorf("build condition: %w", err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.tables.Config), Item: history}},
		{Put: &types.Put{
			TableName:                 aws.String(s.tables.Config),
			Item:                      current,
			ConditionExpression:       expr.Condition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
		}},
	}})
	if failed, ok := canceledBy(err); ok && failed[1] {
		return true, nil
	}
	return false, err
}

// CurrentRateCards implements store.RateCards.
func (s *Store) CurrentRateCards(ctx context.Context) ([]pricing.Card, error) {
	cards, err := listConfig[pricing.Card](ctx, s, kindCard)
	if err != nil {
		return nil, fmt.Errorf("list rate cards: %w", err)
	}
	return cards, nil
}

// RateCardHistory implements store.RateCards.
func (s *Store) RateCardHistory(ctx context.Context, k pricing.Key) ([]pricing.Card, error) {
	cards, err := listConfig[pricing.Card](ctx, s, kindCardHistory+k.String())
	if err != nil {
		return nil, fmt.Errorf("rate card history of %s: %w", k, err)
	}
	for i, j := 0, len(cards)-1; i < j; i, j = i+1, j-1 {
		cards[i], cards[j] = cards[j], cards[i]
	}
	return cards, nil
}
