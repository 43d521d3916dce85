package predict

import (
	"math"
	"time"
)

// FeatureVersion numbers the encoding in [Features.Encode]. A model records
// the version it was trained with and one of another version is not used
// (Predict falls back to [Prior]), so changing the encoding must bump it.
const FeatureVersion = 1

// NumFeatures is the length of an encoded [Vector], intercept included.
const NumFeatures = 12

// Positions in a Vector.
const (
	FeatIntercept            = iota // always 1
	FeatLogPayload                  // ln(1 + payload bytes)
	FeatHourSin                     // sin(2π·hour/24)
	FeatHourCos                     // cos(2π·hour/24)
	FeatWeekdaySin                  // sin(2π·weekday/7)
	FeatWeekdayCos                  // cos(2π·weekday/7)
	FeatLogIdle                     // ln(1 + idle seconds), idle capped at MaxIdleSeconds
	FeatIdleBeyondKeepAlive         // 1 when idle > KeepAliveSeconds or unknown
	FeatLogRecentLatency            // ln(1 + recent latency ms); 0 when unknown
	FeatRecentLatencyUnknown        // 1 when the recent latency is unknown
	FeatDistance1000Km              // distance in thousands of km; 0 when unknown
	FeatDistanceUnknown             // 1 when the distance is unknown
)

// KeepAliveSeconds is the idle time after which a deployment is taken to have
// lost its warm instances. Providers reclaim idle instances after roughly 5 to
// 15 minutes (AWS Lambda and Azure Functions' consumption plan, Cloud Run);
// the indicator lets the model learn the step, the log of the idle time the
// slope around it.
const KeepAliveSeconds = 600.0

// MaxIdleSeconds caps the idle time: past a day every provider has reclaimed
// its instances and longer idle carries no more signal. An unknown idle time
// (negative or NaN) counts as this long.
const MaxIdleSeconds = 86400.0

// Unknown is the value to put in Features.IdleSeconds or
// Features.DistanceKm when it is not known (any negative value will do).
const Unknown = -1.0

// Caps that keep a wild input from dominating a prediction.
const (
	maxPayloadBytes = 1e12
	maxLatencyMs    = 1e8
	maxDistanceKm   = 20038.0 // half the Earth's circumference
)

// Features are what is known about a call before it is made. Build them the
// same way for training samples and live calls; [Calendar] gives Hour and
// Weekday from a time.
type Features struct {
	PayloadBytes float64 // request size
	Hour         int     // 0-23 UTC
	Weekday      int     // 0 = Monday ... 6 = Sunday (not time.Weekday's numbering)
	// IdleSeconds is the time since this deployment's previous invocation;
	// negative (Unknown) when not known or never invoked, which counts as a
	// long idle.
	IdleSeconds float64
	// RecentLatencyMs is an EWMA of the deployment's recent round trips;
	// 0 or negative when unknown.
	RecentLatencyMs float64
	// DistanceKm is from the caller's region to the deployment's region
	// (RegionDistanceKm); 0 for the same region, negative (Unknown) when
	// unknown.
	DistanceKm float64
}

// Calendar returns the hour (0-23) and weekday (0 = Monday) of t in UTC, as
// Features wants them.
func Calendar(t time.Time) (hour, weekday int) {
	u := t.UTC()
	return u.Hour(), (int(u.Weekday()) + 6) % 7 // time.Sunday is 0
}

// Vector is an encoded Features. It is an array, not a slice, so encoding and
// predicting allocate nothing.
type Vector [NumFeatures]float64

// Encode turns features into the models' input. Out-of-range or non-finite
// inputs are clamped rather than rejected, so a prediction is always
// possible. It is the only place features are transformed, for training and
// serving alike.
func (f Features) Encode() Vector {
	var v Vector
	v[FeatIntercept] = 1
	v[FeatLogPayload] = math.Log1p(clamp(f.PayloadBytes, 0, maxPayloadBytes, 0))
	v[FeatHourSin], v[FeatHourCos] = math.Sincos(2 * math.Pi * float64(mod(f.Hour, 24)) / 24)
	v[FeatWeekdaySin], v[FeatWeekdayCos] = math.Sincos(2 * math.Pi * float64(mod(f.Weekday, 7)) / 7)
	idle := MaxIdleSeconds
	if f.IdleSeconds >= 0 { // false for NaN
		idle = math.Min(f.IdleSeconds, MaxIdleSeconds)
	}
	v[FeatLogIdle] = math.Log1p(idle)
	if idle > KeepAliveSeconds {
		v[FeatIdleBeyondKeepAlive] = 1
	}
	if f.RecentLatencyMs > 0 {
		v[FeatLogRecentLatency] = math.Log1p(math.Min(f.RecentLatencyMs, maxLatencyMs))
	} else {
		v[FeatRecentLatencyUnknown] = 1
	}
	if f.DistanceKm >= 0 {
		v[FeatDistance1000Km] = math.Min(f.DistanceKm, maxDistanceKm) / 1000
	} else {
		v[FeatDistanceUnknown] = 1
	}
	return v
}

// FeatureName names position i of a Vector, for reports ("" when out of
// range).
func FeatureName(i int) string {
	switch i {
	case FeatIntercept:
		return "intercept"
	case FeatLogPayload:
		return "log_payload_bytes"
	case FeatHourSin:
		return "hour_sin"
	case FeatHourCos:
		return "hour_cos"
	case FeatWeekdaySin:
		return "weekday_sin"
	case FeatWeekdayCos:
		return "weekday_cos"
	case FeatLogIdle:
		return "log_idle_seconds"
	case FeatIdleBeyondKeepAlive:
		return "idle_beyond_keep_alive"
	case FeatLogRecentLatency:
		return "log_recent_latency_ms"
	case FeatRecentLatencyUnknown:
		return "recent_latency_unknown"
	case FeatDistance1000Km:
		return "distance_1000km"
	case FeatDistanceUnknown:
		return "distance_unknown"
	}
	return ""
}

func dot(a, b *Vector) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// clamp limits x to [lo, hi]; NaN becomes nan.
func clamp(x, lo, hi, nan float64) float64 {
	switch {
	case math.IsNaN(x):
		return nan
	case x < lo:
		return lo
	case x > hi:
		return hi
	}
	return x
}

func mod(a, n int) int {
	a %= n
	if a < 0 {
		a += n
	}
	return a
}
