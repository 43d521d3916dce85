package dynamo

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
)

// GetPolicy implements store.Policies.
func (s *Store) GetPolicy(ctx context.Context, name string) (policy.Policy, error) {
	p, found, err := getConfig[policy.Policy](ctx, s, kindPolicy, name)
	if err == nil && !found {
		err = store.NotFound("policy", name)
	}
	if err != nil {
		return policy.Policy{}, fmt.Errorf("get policy %q: %w", name, err)
	}
	return p, nil
}

// ListPolicies implements store.Policies.
func (s *Store) ListPolicies(ctx context.Context) ([]policy.Policy, error) {
	ps, err := listConfig[policy.Policy](ctx, s, kindPolicy)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return ps, nil
}

// PutPolicy implements store.Policies with one UpdateItem that leaves
// is_active to the activation transaction and refuses, in its condition, to
// move an active policy to another function.
func (s *Store) PutPolicy(ctx context.Context, p policy.Policy, expect int64) (policy.Policy, bool, error) {
	if err := store.CheckKeyPart("name", p.Name); err != nil {
		return policy.Policy{}, false, fmt.Errorf("put policy: %w", err)
	}
	upd, err := setDefinition(definitionUpdate(p.UpdatedAt), p, "is_active", "version", "created_at", "updated_at")
	if err != nil {
		return policy.Policy{}, false, fmt.Errorf("put policy %q: %w", p.Name, err)
	}
	upd = upd.Set(attr("is_active"), expression.IfNotExists(attr("is_active"), value(false)))
	cond := expression.Or(inactive(), attr("function").Equal(value(p.Function)))
	if expect != store.AnyVersion {
		cond = expression.And(attr("version").Equal(value(expect)), cond)
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return policy.Policy{}, false, fmt.Errorf("put policy %q: build update: %w", p.Name, err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.tables.Config),
		Key:                                 configKey(kindPolicy, p.Name),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		if err = versionConflict("policy", p.Name, old, expect); err == nil {
			stored, _ := unmarshalMap[policy.Policy](old)
			err = store.MovingActive(p.Name, stored.Function, p.Function)
		}
	}
	if err != nil {
		return policy.Policy{}, false, fmt.Errorf("put policy %q: %w", p.Name, err)
	}
	got, err := unmarshalMap[policy.Policy](out.Attributes)
	if err != nil {
		return policy.Policy{}, false, fmt.Errorf("put policy %q: decode result: %w", p.Name, err)
	}
	return got, got.Version == 1, nil
}

// setDefinition sets every attribute of v's encoding (a struct) and removes
// the ones it leaves out (empty optional fields), so that the item looks as
// the JSON would and a field added to the type is stored without a change
// here. managed names the attributes the store writes itself.
func setDefinition(upd expression.UpdateBuilder, v any, managed ...string) (expression.UpdateBuilder, error) {
	item, err := marshalMap(v)
	if err != nil {
		return upd, fmt.Errorf("encode: %w", err)
	}
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || slices.Contains(managed, name) {
			continue
		}
		if av, ok := item[name]; ok {
			upd = upd.Set(attr(name), expression.Value(av))
		} else {
			upd = upd.Remove(attr(name))
		}
	}
	return upd, nil
}

// inactive holds for a policy that is not active (or not stored yet).
func inactive() expression.ConditionBuilder {
	return expression.Or(attr("is_active").AttributeNotExists(), attr("is_active").Equal(value(false)))
}

// DeletePolicy implements store.Policies.
func (s *Store) DeletePolicy(ctx context.Context, name string, expect int64) error {
	cond := expression.And(exists(), inactive())
	if expect != store.AnyVersion {
		cond = cond.And(attr("version").Equal(value(expect)))
	}
	err := s.deleteConfig(ctx, "policy", kindPolicy, name, cond, func(old map[string]types.AttributeValue) error {
		if len(old) == 0 {
			return store.NotFound("policy", name)
		}
		p, err := unmarshalMap[policy.Policy](old)
		if err != nil {
			return fmt.Errorf("decode policy: %w", err)
		}
		if p.IsActive {
			return fault.Conflict("policy %q is active; activate another policy or deactivate it before deleting it", name)
		}
		return versionConflict("policy", name, old, expect)
	})
	if err != nil {
		return fmt.Errorf("delete policy %q: %w", name, err)
	}
	return nil
}

// setting is the SETTING item.
type setting struct {
	Value string `json:"value"`
}

// DefaultFunction implements store.Policies.
func (s *Store) DefaultFunction(ctx context.Context) (string, error) {
	v, found, err := getConfig[setting](ctx, s, kindSetting, settingDefaultFunction)
	if err == nil && !found {
		err = fault.NotFound("no policy has been activated yet, so there is no default function")
	}
	if err != nil {
		return "", fmt.Errorf("get default function: %w", err)
	}
	return v.Value, nil
}
