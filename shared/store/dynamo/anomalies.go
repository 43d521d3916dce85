package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/store"
)

// Spend anomalies are in the aggregates table, next to the budget alerts:
//
//	aggregates  pk "ANOMALY"  sk "<TimeKey(Hour)>#<id>"  anomaly.Anomaly attributes
//
// The ID names the hour, so it alone decides the key: one conditional
// PutItem (attribute_not_exists) records an anomaly once, with no guard item
// (budget alerts need one, since their sort key holds the time they were
// sent), and a listing is one Query backwards over the partition. Anomalies
// are a few an hour at most, written by the hourly job, so one partition
// takes them. They have no ttl: the aggregates table has no TTL, and they
// are an audit trail that the API lists by time.
const kindAnomaly = "ANOMALY"

func anomalyKey(a anomaly.Anomaly) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: kindAnomaly},
		attrSK: &types.AttributeValueMemberS{Value: store.TimeKey(a.Hour) + "#" + a.ID()},
	}
}

// PutAnomaly implements store.Anomalies with one conditional PutItem.
func (s *Store) PutAnomaly(ctx context.Context, a anomaly.Anomaly) (bool, error) {
	if err := store.CheckAnomaly(a); err != nil {
		return false, fmt.Errorf("put anomaly: %w", err)
	}
	a = store.AnomalyOf(a)
	item, err := marshalMap(a)
	if err != nil {
		return false, fmt.Errorf("put anomaly %q: encode: %w", a.ID(), err)
	}
	for k, v := range anomalyKey(a) {
		item[k] = v
	}
	expr, err := expression.NewBuilder().WithCondition(attr(attrPK).AttributeNotExists()).Build()
	if err != nil {
		return false, fmt.Errorf("put anomaly %q: build condition: %w", a.ID(), err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.tables.Aggregates),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if _, failed := conditionFailed(err); failed {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("put anomaly %q: %w", a.ID(), err)
	}
	return true, nil
}

// ListAnomalies implements store.Anomalies: one Query backwards over the
// anomalies' partition from the newest hour down to since.
func (s *Store) ListAnomalies(ctx context.Context, since time.Time, limit int) ([]anomaly.Anomaly, error) {
	out, err := listFeed[anomaly.Anomaly](ctx, s, kindAnomaly, since, limit)
	if err != nil {
		return nil, fmt.Errorf("list anomalies: %w", err)
	}
	return out, nil
}
