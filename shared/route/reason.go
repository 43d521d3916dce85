package route

import (
	"math"
	"strconv"
)

// The decision's reason is built once per plan, into one buffer, from the
// strategy's first two choices and what the rules did.

var dayNames = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// reason says why the first candidate is first: exploration, then the
// time-window rule, then the strategy, then what the rules left out.
func (st *planState) reason() string {
	b := make([]byte, 0, 256)
	if st.explored {
		c := &st.cs[0]
		b = append(b, "exploration ("...)
		b = appendNum(b, st.pol.ExplorationShare()*100)
		b = append(b, "% of calls): "...)
		b = append(b, c.d.ID...)
		b = append(b, " has the fewest samples ("...)
		b = strconv.AppendInt(b, int64(c.samples()), 10)
		b = append(b, ") among the unconfident candidates; otherwise "...)
	}
	if st.rule.idx >= 0 {
		r := &st.pol.Rules[st.rule.idx]
		b = append(b, "rules["...)
		b = strconv.AppendInt(b, int64(st.rule.idx), 10)
		b = append(b, "] ("...)
		b = append(b, r.Window...)
		b = append(b, " UTC"...)
		for i, d := range r.Days {
			if i == 0 {
				b = append(b, " on "...)
			} else {
				b = append(b, ',')
			}
			if d >= 0 && d < len(dayNames) {
				b = append(b, dayNames[d]...)
			}
		}
		b = append(b, ") prefers "...)
		b = append(b, r.Prefer...)
		switch {
		case st.rule.front == 0:
			b = append(b, ", which has no live allowed deployment; "...)
		case st.rule.moved:
			b = append(b, ": "...)
			b = append(b, st.rule.firstID...)
			b = append(b, " goes first; otherwise "...)
		default:
			b = append(b, ", first already; "...)
		}
	}
	switch st.kind {
	case kindStatic:
		b = append(b, st.static...)
	case kindCheapest:
		b = st.cheapestClause(b)
	case kindFastest:
		b = st.fastestClause(b)
	case kindWeighted:
		b = st.weightedClause(b)
	}
	b = st.notes(b)
	return string(b)
}

func (st *planState) cheapestClause(b []byte) []byte {
	t, n := &st.top, &st.next
	slo := st.pol.SLOP95Ms
	switch {
	case t.class == classUnknown:
		return st.unknownClause(b)
	case t.class == classDown:
		return st.downClause(b)
	case t.class == classUnpriced:
		b = append(b, "no candidate that meets the SLO has a cost prediction: fastest of them first, "...)
		b = append(b, t.d.ID...)
		b = append(b, " at p95 "...)
		b = appendMs(b, t.est.LatencyP95Ms)
		if slo > 0 {
			b = append(b, " <= SLO "...)
			b = appendMs(b, slo)
		}
		return b
	case st.infeasible:
		b = append(b, "no deployment is predicted to meet the SLO of "...)
		b = appendMs(b, slo)
		b = append(b, "; best effort, fastest first: "...)
		b = append(b, t.d.ID...)
		b = append(b, " has the lowest predicted p95 "...)
		b = appendMs(b, t.est.LatencyP95Ms)
		if t.cost {
			b = append(b, " ($"...)
			b = appendUSD(b, t.est.CostUSD)
			b = append(b, ')')
		}
		if st.hasNext && n.class == classSecond {
			b = fasterThan(b, t, n)
		}
		return b
	}
	b = append(b, t.d.ID...)
	b = append(b, " has the cheapest predicted cost $"...)
	b = appendUSD(b, t.est.CostUSD)
	if t.lat {
		b = append(b, " with p95 "...)
		b = appendMs(b, t.est.LatencyP95Ms)
	} else {
		b = append(b, " (no p95 prediction)"...)
	}
	if slo > 0 {
		b = append(b, " <= SLO "...)
		b = appendMs(b, slo)
	}
	if !st.hasNext {
		return b
	}
	switch n.class {
	case classFirst:
		if n.est.CostUSD > t.est.CostUSD {
			b = append(b, "; "...)
			b = append(b, t.d.ID...)
			b = append(b, " is "...)
			b = appendPct(b, (n.est.CostUSD-t.est.CostUSD)/n.est.CostUSD*100)
			b = append(b, " cheaper than "...)
			b = append(b, n.d.ID...)
			return b
		}
		b = append(b, "; "...)
		b = append(b, t.d.ID...)
		b = append(b, " ties "...)
		b = append(b, n.d.ID...)
		b = append(b, " on cost and goes first "...)
		b = tieWhy(b, t, n, "on lower p95")
	case classUnpriced:
		b = append(b, "; "...)
		b = append(b, n.d.ID...)
		b = append(b, ", next, meets the SLO but has no cost prediction"...)
	case classSecond:
		b = append(b, "; "...)
		b = append(b, n.d.ID...)
		if n.cost && n.est.CostUSD < t.est.CostUSD {
			b = append(b, " is cheaper ($"...)
			b = appendUSD(b, n.est.CostUSD)
			b = append(b, ") but its p95 "...)
		} else {
			b = append(b, ", next, has p95 "...)
		}
		b = appendMs(b, n.est.LatencyP95Ms)
		b = append(b, " over the SLO"...)
	}
	return b
}

func (st *planState) fastestClause(b []byte) []byte {
	t, n := &st.top, &st.next
	switch t.class {
	case classUnknown:
		return st.unknownClause(b)
	case classDown:
		return st.downClause(b)
	}
	b = append(b, t.d.ID...)
	b = append(b, " has the fastest predicted p95 "...)
	b = appendMs(b, t.est.LatencyP95Ms)
	if t.cost {
		b = append(b, " at $"...)
		b = appendUSD(b, t.est.CostUSD)
	} else {
		b = append(b, " (no cost prediction)"...)
	}
	if limit := st.pol.CostCapUSD; limit > 0 {
		b = append(b, " <= cost cap $"...)
		b = appendUSD(b, limit)
	}
	if st.hasNext && n.class == classFirst {
		b = fasterThan(b, t, n)
	}
	return b
}

// fasterThan compares the p95 of the first two candidates.
func fasterThan(b []byte, t, n *cand) []byte {
	b = append(b, "; "...)
	b = append(b, t.d.ID...)
	if n.est.LatencyP95Ms > t.est.LatencyP95Ms {
		b = append(b, " is "...)
		b = appendMs(b, n.est.LatencyP95Ms-t.est.LatencyP95Ms)
		b = append(b, " faster than "...)
		b = append(b, n.d.ID...)
		return b
	}
	b = append(b, " ties "...)
	b = append(b, n.d.ID...)
	b = append(b, " on p95 and goes first "...)
	return tieWhy(b, t, n, "on lower cost")
}

func (st *planState) weightedClause(b []byte) []byte {
	t, n := &st.top, &st.next
	switch t.class {
	case classUnknown:
		return st.unknownClause(b)
	case classDown:
		return st.downClause(b)
	}
	w := st.pol.WeightsOrDefault()
	b = append(b, t.d.ID...)
	b = append(b, " has the highest weighted score "...)
	b = strconv.AppendFloat(b, t.score, 'f', 3, 64)
	b = append(b, " (weights latency "...)
	b = appendNum(b, w.Latency)
	b = append(b, ", cost "...)
	b = appendNum(b, w.Cost)
	b = append(b, ", reliability "...)
	b = appendNum(b, w.Reliability)
	b = append(b, ", affinity "...)
	b = appendNum(b, w.Affinity)
	b = append(b, ')')
	if !st.hasNext {
		return b
	}
	b = append(b, "; "...)
	if n.score < t.score {
		b = append(b, n.d.ID...)
		b = append(b, " scores "...)
		return strconv.AppendFloat(b, n.score, 'f', 3, 64)
	}
	b = append(b, t.d.ID...)
	b = append(b, " ties "...)
	b = append(b, n.d.ID...)
	b = append(b, " and goes first "...)
	return tieWhy(b, t, n, "")
}

func (st *planState) unknownClause(b []byte) []byte {
	b = append(b, "no "...)
	if st.down > 0 {
		b = append(b, "live "...)
	}
	switch {
	case st.kind == kindWeighted:
		b = append(b, "candidate has an estimate: "...)
	case st.kind == kindFastest:
		b = append(b, "candidate has a p95 prediction: "...)
	case st.pol.SLOP95Ms > 0:
		b = append(b, "candidate has cost and p95 predictions: "...)
	default:
		b = append(b, "candidate has a cost prediction: "...)
	}
	b = append(b, st.top.d.ID...)
	b = append(b, " first "...)
	return appendRank(b, &st.top)
}

func (st *planState) downClause(b []byte) []byte {
	b = append(b, "every candidate is predicted down (reliability under 0.5); "...)
	b = append(b, st.top.d.ID...)
	return append(b, " first as a last resort"...)
}

// tieWhy says why t goes before n when the strategy's first key ties:
// secondary (when the second key differs), the policy's default, or the
// declared order.
func tieWhy(b []byte, t, n *cand, secondary string) []byte {
	if secondary != "" && t.k2 != n.k2 {
		return append(b, secondary...)
	}
	if t.rank < n.rank {
		return appendRank(b, t)
	}
	return append(b, "in declared order"...)
}

func appendRank(b []byte, c *cand) []byte {
	switch c.rank {
	case rankTarget:
		return append(b, "as the default target"...)
	case rankProvider:
		return append(b, "on the default provider"...)
	}
	return append(b, "in declared order"...)
}

// notes counts what the rules set aside.
func (st *planState) notes(b []byte) []byte {
	if st.partial > 0 {
		b = append(b, "; "...)
		b = strconv.AppendInt(b, int64(st.partial), 10)
		b = append(b, " missing a latency or cost prediction scored the worst on that figure"...)
	}
	if st.unknown > 0 && st.top.class != classUnknown {
		b = append(b, "; "...)
		b = strconv.AppendInt(b, int64(st.unknown), 10)
		b = append(b, " without the predictions to rank after the ranked ones"...)
	}
	if st.down > 0 && st.top.class != classDown {
		b = append(b, "; "...)
		b = strconv.AppendInt(b, int64(st.down), 10)
		b = append(b, " predicted down (reliability under 0.5) tried last"...)
	}
	if st.capped > 0 {
		b = append(b, "; "...)
		b = strconv.AppendInt(b, int64(st.capped), 10)
		b = append(b, " over the cost cap $"...)
		b = appendUSD(b, st.pol.CostCapUSD)
		b = append(b, " left out"...)
	}
	if st.excluded > 0 {
		b = append(b, "; "...)
		b = strconv.AppendInt(b, int64(st.excluded), 10)
		b = append(b, " outside allowed_providers/allowed_regions left out"...)
	}
	return b
}

// appendMs formats milliseconds: whole above 10 ms, one decimal below.
func appendMs(b []byte, v float64) []byte {
	prec := 0
	if math.Abs(v) < 10 {
		prec = 1
	}
	b = strconv.AppendFloat(b, v, 'f', prec, 64)
	return append(b, " ms"...)
}

// appendPct formats a whole percentage, "<1%" for a sliver.
func appendPct(b []byte, v float64) []byte {
	if v > 0 && v < 0.5 {
		return append(b, "<1%"...)
	}
	b = strconv.AppendFloat(b, math.Round(v), 'f', 0, 64)
	return append(b, '%')
}

func appendNum(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'g', -1, 64) }
