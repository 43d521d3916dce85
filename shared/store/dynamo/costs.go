package dynamo

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store"
)

// aggregateKey is the counters item of a dimension value in a month.
func aggregateKey(dim store.Dimension, month time.Time, value string, shard uint32) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: string(dim) + "#" + month.Format("2006-01")},
		attrSK: &types.AttributeValueMemberS{Value: value + "#" + strconv.Itoa(int(shard))},
	}
}

// counter names of one day of the month: c07, n07, e07, u07.
func counter(kind string, day int) string { return fmt.Sprintf("%s%02d", kind, day) }

// addCosts adds a record to its aggregates: one atomic ADD per dimension
// value, sent concurrently, on a shard chosen by the record's ID.
func (s *Store) addCosts(ctx context.Context, r invocation.Record) error {
	h := fnv.New32a()
	h.Write([]byte(r.ID))
	shard := h.Sum32() % aggregateShards
	day := store.Day(r.Timestamp)
	g, gctx := errgroup.WithContext(ctx)
	for _, d := range store.CostDeltas(r) {
		upd := expression.Add(attr(counter("c", day.Day())), value(d.PicoUSD)).
			Add(attr(counter("n", day.Day())), value(d.Invocations)).
			Add(attr(counter("e", day.Day())), value(d.Errors)).
			Add(attr(counter("u", day.Day())), value(d.Unpriced))
		expr, err := expression.NewBuilder().WithUpdate(upd).Build()
		if err != nil {
			return fmt.Errorf("build cost update: %w", err)
		}
		key := aggregateKey(d.Dimension, day, d.Value, shard)
		g.Go(func() error {
			_, err := s.db.UpdateItem(gctx, &dynamodb.UpdateItemInput{
				TableName:                 aws.String(s.tables.Aggregates),
				Key:                       key,
				UpdateExpression:          expr.Update(),
				ExpressionAttributeNames:  expr.Names(),
				ExpressionAttributeValues: expr.Values(),
			})
			if err != nil {
				return fmt.Errorf("add to %s aggregate %q: %w", d.Dimension, d.Value, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// CostTotals implements store.Costs: one Query per month of the range.
func (s *Store) CostTotals(ctx context.Context, q store.CostQuery) ([]store.CostRow, error) {
	days, err := q.Days()
	if err != nil {
		return nil, fmt.Errorf("cost totals: %w", err)
	}
	byMonth := map[string][]time.Time{}
	var months []string
	for _, d := range days {
		m := d.Format("2006-01")
		if _, ok := byMonth[m]; !ok {
			months = append(months, m)
		}
		byMonth[m] = append(byMonth[m], d)
	}
	var totals store.Totals
	for _, m := range months {
		items, err := s.queryAll(ctx, s.tables.Aggregates, string(q.GroupBy)+"#"+m, false)
		if err != nil {
			return nil, fmt.Errorf("cost totals for %s: %w", m, err)
		}
		for _, item := range items {
			sk, ok := item[attrSK].(*types.AttributeValueMemberS)
			if !ok {
				return nil, fmt.Errorf("cost totals for %s: an aggregate without a string sk", m)
			}
			value := sk.Value[:max(strings.LastIndexByte(sk.Value, '#'), 0)]
			for _, d := range byMonth[m] {
				delta := store.CostDelta{
					PicoUSD:     number(item, counter("c", d.Day())),
					Invocations: number(item, counter("n", d.Day())),
					Errors:      number(item, counter("e", d.Day())),
					Unpriced:    number(item, counter("u", d.Day())),
				}
				if delta == (store.CostDelta{}) {
					continue
				}
				group := value
				if q.GroupBy == store.ByDay {
					group = d.Format(time.DateOnly)
				}
				totals.Add(group, delta)
			}
		}
	}
	return totals.Rows(), nil
}

// number reads an integer attribute; absent is 0.
func number(item map[string]types.AttributeValue, name string) int64 {
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	v, _ := strconv.ParseInt(n.Value, 10, 64)
	return v
}
