package predict

import "fmt"

// Outcome is Challenge's decision.
type Outcome struct {
	// Keep is the model to use from now on: the challenger when Promoted,
	// else the champion (nil when there was none and no challenger could be
	// fitted).
	Keep     *Model
	Promoted bool
	// Challenger is the newly fitted model, zero when the fit failed.
	Challenger Model
	// ChampionMetrics and ChallengerMetrics are both measured on the same
	// hold-out, the newest samples; ChampionMetrics is zero without a
	// champion.
	ChampionMetrics   Metrics
	ChallengerMetrics Metrics
	// Reason says why, for logs and the operator.
	Reason string
}

// Challenge fits a challenger with Fit, which trains on the older
// 1-HoldoutFraction of the usable samples by At, measures the champion on the
// same newest HoldoutFraction, and keeps the better: the challenger replaces
// the champion only when it scores strictly better on the primary metric
// (Metrics.Score, RMSELog) or when there is no champion (nil). A champion
// trained on some of the hold-out samples has an unfair edge, so a store
// should challenge with samples newer than the champion's training window
// when it has them (see Model.TrainTo).
//
// On error Outcome.Keep is still the champion: ErrTooFewSamples when fewer
// than MinSamples samples are usable, ErrMismatch when the champion belongs
// to another function or deployment.
func Challenge(champion *Model, function, deployment string, samples []Sample, opt Options) (Outcome, error) {
	out := Outcome{Keep: champion}
	if champion != nil && (champion.Function != function || champion.Deployment != deployment) {
		return out, fmt.Errorf("challenge %q/%q: champion is for %q/%q: %w",
			function, deployment, champion.Function, champion.Deployment, ErrMismatch)
	}
	ch, hold, err := fit(function, deployment, samples, opt)
	if err != nil {
		return out, fmt.Errorf("challenge %q/%q: fit: %w", function, deployment, err)
	}
	out.Challenger, out.ChallengerMetrics = ch, ch.Metrics
	promote := func(reason string) (Outcome, error) {
		kept := ch
		out.Keep, out.Promoted, out.Reason = &kept, true, reason
		return out, nil
	}
	if champion == nil {
		return promote(fmt.Sprintf("no champion: challenger promoted (%s %.4f on the %d newest samples)",
			PrimaryMetric, ch.Metrics.Score(), ch.Metrics.N))
	}
	out.ChampionMetrics = evaluate(champion, hold)
	cs, hs := out.ChampionMetrics.Score(), ch.Metrics.Score()
	note := ""
	if champion.FeatureVersion != FeatureVersion {
		note = fmt.Sprintf(" (champion has feature version %d, not %d: judged as the prior)",
			champion.FeatureVersion, FeatureVersion)
	}
	if hs < cs {
		return promote(fmt.Sprintf("challenger %s %.4f < champion %.4f on the %d newest samples: promoted%s",
			PrimaryMetric, hs, cs, ch.Metrics.N, note))
	}
	out.Reason = fmt.Sprintf("challenger %s %.4f >= champion %.4f on the %d newest samples: champion kept%s",
		PrimaryMetric, hs, cs, ch.Metrics.N, note)
	return out, nil
}
