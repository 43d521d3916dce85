package dynamo

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/aws/smithy-go"
)

// attemptTimeout bounds one attempt of a write that retryUnknown repeats.
const attemptTimeout = 4 * time.Second

// retryUnknown runs write until its outcome is known, and returns its last
// error. An error the service answered as the client's fault (a failed
// condition, a canceled transaction, a bad request) is known; any other (a
// timeout, a dropped connection, a server error) may hide a write that was
// applied without its answer arriving, and is retried while ctx lasts,
// each attempt bounded by attemptTimeout. write must therefore be safe to
// repeat: the writes that use it carry a token of their caller's in their
// condition, so that a repeat finds its own earlier write rather than
// someone else's.
func retryUnknown(ctx context.Context, write func(ctx context.Context) error) error {
	backoff := 50 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := write(actx)
		cancel()
		if err == nil || !outcomeUnknown(err) || ctx.Err() != nil {
			return err
		}
		if perr := pause(ctx, backoff); perr != nil {
			return err
		}
		backoff = min(2*backoff, time.Second)
	}
}

// outcomeUnknown reports whether a failed write may have been applied.
func outcomeUnknown(err error) bool {
	var api smithy.APIError
	return !errors.As(err, &api) || api.ErrorFault() != smithy.FaultClient
}

// newToken returns a token for one caller's writes (a settlement, a
// sweep, an alert's record).
func newToken(kind string) string { return kind + "/" + rand.Text() }
