package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// GetFunction implements store.Functions.
func (s *Store) GetFunction(ctx context.Context, name string) (catalog.Function, error) {
	f, found, err := getConfig[catalog.Function](ctx, s, kindFunction, name)
	if err == nil && !found {
		err = store.NotFound("function", name)
	}
	if err != nil {
		return catalog.Function{}, fmt.Errorf("get function %q: %w", name, err)
	}
	return f, nil
}

// ListFunctions implements store.Functions: a Query on pk="FUNCTION", which
// DynamoDB returns in sk (name) order.
func (s *Store) ListFunctions(ctx context.Context) ([]catalog.Function, error) {
	fs, err := listConfig[catalog.Function](ctx, s, kindFunction)
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	return fs, nil
}

// PutFunction implements store.Functions with one UpdateItem that sets only
// the fields a definition owns, so a racing activation's active_policy
// survives it.
func (s *Store) PutFunction(ctx context.Context, f catalog.Function, expect int64) (catalog.Function, bool, error) {
	if err := store.CheckKeyPart("name", f.Name); err != nil {
		return catalog.Function{}, false, fmt.Errorf("put function: %w", err)
	}
	upd := definitionUpdate(f.UpdatedAt).
		Set(attr("name"), value(f.Name)).
		Set(attr("deployments"), value(f.Deployments))
	upd = setOrRemove(upd, "description", f.Description)
	b := expression.NewBuilder().WithUpdate(upd)
	if expect != store.AnyVersion {
		b = b.WithCondition(attr("version").Equal(value(expect)))
	}
	expr, err := b.Build()
	if err != nil {
		return catalog.Function{}, false, fmt.Errorf("put function %q: build update: %w", f.Name, err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.tables.Config),
		Key:                                 configKey(kindFunction, f.Name),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		err = versionConflict("function", f.Name, old, expect)
	}
	if err != nil {
		return catalog.Function{}, false, fmt.Errorf("put function %q: %w", f.Name, err)
	}
	got, err := unmarshalMap[catalog.Function](out.Attributes)
	if err != nil {
		return catalog.Function{}, false, fmt.Errorf("put function %q: decode result: %w", f.Name, err)
	}
	return got, got.Version == 1, nil
}

// DeleteFunction implements store.Functions.
func (s *Store) DeleteFunction(ctx context.Context, name string, expect int64) error {
	cond := expression.And(exists(), unrouted())
	if expect != store.AnyVersion {
		cond = cond.And(attr("version").Equal(value(expect)))
	}
	err := s.deleteConfig(ctx, "function", kindFunction, name, cond, func(old map[string]types.AttributeValue) error {
		if len(old) == 0 {
			return store.NotFound("function", name)
		}
		f, err := unmarshalMap[catalog.Function](old)
		if err != nil {
			return fmt.Errorf("decode function: %w", err)
		}
		if f.ActivePolicy != "" {
			return fault.Conflict("function %q is routed by the active policy %q; deactivate the policy before deleting the function", name, f.ActivePolicy)
		}
		return versionConflict("function", name, old, expect)
	})
	if err != nil {
		return fmt.Errorf("delete function %q: %w", name, err)
	}
	return nil
}

// unrouted holds for a function no active policy routes.
func unrouted() expression.ConditionBuilder {
	return expression.Or(attr("active_policy").AttributeNotExists(), attr("active_policy").Equal(value("")))
}

// definitionUpdate sets what every definition write sets: the new version,
// the write time and, on create, the creation time.
func definitionUpdate(updatedAt time.Time) expression.UpdateBuilder {
	return expression.Set(attr("updated_at"), value(updatedAt)).
		Set(attr("created_at"), expression.IfNotExists(attr("created_at"), value(updatedAt))).
		Set(attr("version"), expression.Plus(expression.IfNotExists(attr("version"), value(0)), value(1)))
}

// setOrRemove writes an optional string, removing the attribute when it is
// empty so that the item looks as the JSON would.
func setOrRemove(upd expression.UpdateBuilder, field, v string) expression.UpdateBuilder {
	if v == "" {
		return upd.Remove(attr(field))
	}
	return upd.Set(attr(field), value(v))
}

// deleteConfig deletes a config item under cond; when cond fails, explain
// turns the item as it was into the error to return.
func (s *Store) deleteConfig(ctx context.Context, noun, kind, sk string, cond expression.ConditionBuilder, explain func(old map[string]types.AttributeValue) error) error {
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                           aws.String(s.tables.Config),
		Key:                                 configKey(kind, sk),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		if err := explain(old); err != nil {
			return err
		}
		return fault.Conflict("%s %q was changed by another writer; read it again and retry", noun, sk)
	}
	return err
}
