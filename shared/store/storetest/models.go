package storetest

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/predict"
)

// model fits a real model, so that the suite round-trips every field a
// trained model has, weights included.
func model(t *testing.T, function, deployment string, seed uint64) predict.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	at := Now().Add(-24 * time.Hour)
	samples := make([]predict.Sample, 400)
	for i := range samples {
		at = at.Add(time.Duration(rng.IntN(120)+1) * time.Second)
		idle := rng.Float64() * 1800
		cold := idle > 600
		ms := 40 + rng.Float64()*20
		if cold {
			ms += 300
		}
		samples[i] = predict.Sample{
			Features: predict.Features{
				PayloadBytes: float64(rng.IntN(10_000)), Hour: at.Hour(), Weekday: (int(at.Weekday()) + 6) % 7,
				IdleSeconds: idle, RecentLatencyMs: 50, DistanceKm: -1,
			},
			At: at, DurationMs: ms, ColdStart: cold, ColdKnown: true,
		}
	}
	m, err := predict.Fit(function, deployment, samples, predict.Options{Now: Now})
	if err != nil {
		t.Fatalf("fit a model for the suite: %v", err)
	}
	return m
}

// sameModels compares models by their JSON, which is what stores keep.
func sameModels(t *testing.T, what string, want, got []predict.Model) {
	t.Helper()
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(w) != string(g) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func testModels(t *testing.T, open opener) {
	t.Run("champions, versions and history", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		a1, err := s.PutModel(ctx, model(t, "resize", "aws-us-east-1", 1), 0)
		checkErr(t, "PutModel first aws", err, nil)
		if a1.Version != 1 {
			t.Fatalf("first model version = %d, want 1", a1.Version)
		}
		g1, err := s.PutModel(ctx, model(t, "resize", "gcp-us-central1", 2), 0)
		checkErr(t, "PutModel first gcp", err, nil)
		a2, err := s.PutModel(ctx, model(t, "resize", "aws-us-east-1", 3), 1)
		checkErr(t, "PutModel second aws", err, nil)
		if a2.Version != 2 {
			t.Fatalf("second model version = %d, want 2", a2.Version)
		}
		_, err = s.PutModel(ctx, model(t, "thumbnail", "aws-us-east-1", 4), 0)
		checkErr(t, "PutModel other function", err, nil)

		cur, err := s.CurrentModels(ctx, "resize")
		checkErr(t, "CurrentModels", err, nil)
		sameModels(t, "CurrentModels(resize), ordered by deployment", []predict.Model{a2, g1}, cur)

		hist, err := s.ModelHistory(ctx, "resize", "aws-us-east-1", 0)
		checkErr(t, "ModelHistory", err, nil)
		sameModels(t, "ModelHistory newest first", []predict.Model{a2, a1}, hist)
		last, err := s.ModelHistory(ctx, "resize", "aws-us-east-1", 1)
		checkErr(t, "ModelHistory limit 1", err, nil)
		sameModels(t, "ModelHistory limit 1", []predict.Model{a2}, last)

		none, err := s.CurrentModels(ctx, "res") // a prefix of a function is another function
		checkErr(t, "CurrentModels of an unknown function", err, nil)
		if len(none) != 0 {
			t.Errorf("models of an unknown function = %d, want none", len(none))
		}
		// The stored model predicts as the fitted one did.
		f := predict.Features{PayloadBytes: 512, Hour: 9, Weekday: 2, IdleSeconds: 1200, RecentLatencyMs: 50, DistanceKm: -1}
		if got, want := cur[0].Predict(f), a2.Predict(f); got != want {
			t.Errorf("stored model predicts %+v, fitted %+v", got, want)
		}
	})

	t.Run("a champion replaced meanwhile is a conflict", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		_, err := s.PutModel(ctx, model(t, "resize", "aws-us-east-1", 1), 0)
		checkErr(t, "PutModel", err, nil)
		_, err = s.PutModel(ctx, model(t, "resize", "aws-us-east-1", 2), 0)
		checkErr(t, "PutModel over an existing champion as if new", err, fault.ErrConflict)
		_, err = s.PutModel(ctx, model(t, "resize", "aws-us-east-1", 3), 5)
		checkErr(t, "PutModel replacing a version that is not the champion", err, fault.ErrConflict)
		_, err = s.PutModel(ctx, model(t, "resize", "gcp-us-central1", 4), 1)
		checkErr(t, "PutModel replacing a champion that does not exist", err, fault.ErrConflict)
		hist, err := s.ModelHistory(ctx, "resize", "aws-us-east-1", 0)
		checkErr(t, "ModelHistory", err, nil)
		if len(hist) != 1 {
			t.Errorf("history after refused writes has %d models, want 1", len(hist))
		}
	})

	t.Run("models without keys are refused", func(t *testing.T) {
		s := open(t)
		m := model(t, "resize", "aws-us-east-1", 1)
		m.Deployment = ""
		_, err := s.PutModel(t.Context(), m, 0)
		checkErr(t, "PutModel without a deployment", err, fault.ErrInvalid)
		m.Deployment = "aws-us-east-1"
		_, err = s.PutModel(t.Context(), m, -1)
		checkErr(t, "PutModel replacing version -1", err, fault.ErrInvalid)
	})
}
