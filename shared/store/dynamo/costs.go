package dynamo

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store"
)

// aggregatePK is the partition of one shard of a dimension's month: the
// shard is in the partition key so that a hot value's writes (every call
// adds to the day's total) spread over aggregateShards partitions.
func aggregatePK(dim store.Dimension, month string, shard int) string {
	return string(dim) + "#" + month + "#" + strconv.Itoa(shard)
}

// aggregateKey is the counters item of a dimension value in a month.
func aggregateKey(dim store.Dimension, month time.Time, value string, shard int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: aggregatePK(dim, month.Format("2006-01"), shard)},
		attrSK: &types.AttributeValueMemberS{Value: value},
	}
}

// counter names of one day of the month: c07, n07, e07, u07.
func counter(kind string, day int) string { return fmt.Sprintf("%s%02d", kind, day) }

// addCosts adds a record to its aggregates: one atomic ADD per dimension
// value, sent concurrently, on a shard chosen by the record's ID.
func (s *Store) addCosts(ctx context.Context, r invocation.Record) error {
	h := fnv.New32a()
	h.Write([]byte(r.ID))
	shard := int(h.Sum32() % aggregateShards)
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
		// One Query per shard, concurrently.
		shards := make([][]map[string]types.AttributeValue, aggregateShards)
		g, gctx := errgroup.WithContext(ctx)
		for n := range aggregateShards {
			g.Go(func() error {
				var err error
				shards[n], err = s.queryAll(gctx, s.tables.Aggregates, aggregatePK(q.GroupBy, m, n), false)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, fmt.Errorf("cost totals for %s: %w", m, err)
		}
		for _, items := range shards {
			for _, item := range items {
				sk, ok := item[attrSK].(*types.AttributeValueMemberS)
				if !ok {
					return nil, fmt.Errorf("cost totals for %s: an aggregate without a string sk", m)
				}
				for _, d := range byMonth[m] {
					delta, err := dayCounts(item, d.Day())
					if err != nil {
						return nil, fmt.Errorf("cost totals for %s: %s: %w", m, sk.Value, err)
					}
					if delta == (store.CostDelta{}) {
						continue
					}
					group := sk.Value
					if q.GroupBy == store.ByDay {
						group = d.Format(time.DateOnly)
					}
					totals.Add(group, delta)
				}
			}
		}
	}
	return totals.Rows(), nil
}

// dayCounts reads one day's counters of an aggregate item; absent is 0.
func dayCounts(item map[string]types.AttributeValue, day int) (store.CostDelta, error) {
	var d store.CostDelta
	for _, f := range []struct {
		kind string
		dst  *int64
	}{{"c", &d.PicoUSD}, {"n", &d.Invocations}, {"e", &d.Errors}, {"u", &d.Unpriced}} {
		name := counter(f.kind, day)
		v, ok := item[name]
		if !ok {
			continue
		}
		n, ok := v.(*types.AttributeValueMemberN)
		if !ok {
			return d, fmt.Errorf("counter %s is not a number", name)
		}
		x, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return d, fmt.Errorf("counter %s: %w", name, err)
		}
		*f.dst = x
	}
	return d, nil
}
