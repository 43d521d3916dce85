package dynamo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/store"
)

// modelItem is how a model is kept: its keys, its version as a number for
// the condition, and the model as JSON (its weights are arrays whose exact
// floats must round-trip; a model is a few kilobytes).
type modelItem struct {
	PK      string `json:"pk"`
	SK      string `json:"sk"`
	Version int64  `json:"version"`
	Model   string `json:"model"`
}

func modelPK(function string) string { return kindModel + function }

func modelHistoryPK(function, deployment string) string {
	return kindModelHistory + function + "#" + deployment
}

// PutModel implements store.Models with one transaction: the history item
// and the champion, on condition that the champion is still version
// replaces.
func (s *Store) PutModel(ctx context.Context, m predict.Model, replaces int64) (predict.Model, error) {
	if err := store.CheckModel(m, replaces); err != nil {
		return predict.Model{}, fmt.Errorf("put model: %w", err)
	}
	m.Version = replaces + 1
	data, err := json.Marshal(m)
	if err != nil {
		return predict.Model{}, fmt.Errorf("put model of %s/%s: encode: %w", m.Function, m.Deployment, err)
	}
	current, err := marshalMap(modelItem{PK: modelPK(m.Function), SK: m.Deployment, Version: m.Version, Model: string(data)})
	if err != nil {
		return predict.Model{}, fmt.Errorf("put model of %s/%s: encode item: %w", m.Function, m.Deployment, err)
	}
	history, err := marshalMap(modelItem{PK: modelHistoryPK(m.Function, m.Deployment), SK: fmt.Sprintf("%020d", m.Version), Version: m.Version, Model: string(data)})
	if err != nil {
		return predict.Model{}, fmt.Errorf("put model of %s/%s: encode history item: %w", m.Function, m.Deployment, err)
	}
	cond := attr(attrPK).AttributeNotExists()
	if replaces != 0 {
		cond = attr("version").Equal(value(replaces))
	}
	moved, err := s.putWithHistory(ctx, history, current, cond)
	if moved {
		stored, _, rerr := getConfig[modelItem](ctx, s, modelPK(m.Function), m.Deployment)
		if rerr != nil {
			return predict.Model{}, fmt.Errorf("put model of %s/%s: read the champion after a conflict: %w", m.Function, m.Deployment, rerr)
		}
		return predict.Model{}, fmt.Errorf("put model: %w", store.ModelMoved(m.Function, m.Deployment, stored.Version, replaces))
	}
	if err != nil {
		return predict.Model{}, fmt.Errorf("put model of %s/%s: %w", m.Function, m.Deployment, err)
	}
	return m, nil
}

// CurrentModels implements store.Models.
func (s *Store) CurrentModels(ctx context.Context, function string) ([]predict.Model, error) {
	items, err := listConfig[modelItem](ctx, s, modelPK(function))
	if err != nil {
		return nil, fmt.Errorf("models of %q: %w", function, err)
	}
	return decodeModels(items)
}

// ModelHistory implements store.Models: one Query, newest first.
func (s *Store) ModelHistory(ctx context.Context, function, deployment string, limit int) ([]predict.Model, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(expression.Key(attrPK).Equal(value(modelHistoryPK(function, deployment)))).Build()
	if err != nil {
		return nil, fmt.Errorf("model history of %s/%s: build query: %w", function, deployment, err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Config),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(true),
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, 1000)))
	}
	var items []modelItem
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("model history of %s/%s: %w", function, deployment, err)
		}
		for _, raw := range page.Items {
			it, err := unmarshalMap[modelItem](raw)
			if err != nil {
				return nil, fmt.Errorf("model history of %s/%s: decode item: %w", function, deployment, err)
			}
			items = append(items, it)
		}
		if len(page.LastEvaluatedKey) == 0 || (limit > 0 && len(items) >= limit) {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return decodeModels(items)
}

func decodeModels(items []modelItem) ([]predict.Model, error) {
	out := make([]predict.Model, 0, len(items))
	for _, it := range items {
		var m predict.Model
		if err := json.Unmarshal([]byte(it.Model), &m); err != nil {
			return nil, fmt.Errorf("decode model %s %s: %w", it.PK, it.SK, err)
		}
		out = append(out, m)
	}
	return out, nil
}
