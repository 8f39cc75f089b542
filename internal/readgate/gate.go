package readgate

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Config is the gate's bounds.
type Config struct {
	// MaxConcurrent is how many reads may run at once; the others wait
	// for a slot. Below 1 it is 1.
	MaxConcurrent int
	// Timeout bounds each read, including its wait for a slot; 0 means no
	// bound.
	Timeout time.Duration
}

// TimeoutError is a read that did not finish within the gate's timeout,
// either because it ran too long or because it waited that long for a slot.
// It unwraps to context.DeadlineExceeded.
type TimeoutError struct {
	Op      string        // what was read ("list users")
	Timeout time.Duration // the gate's timeout
	Queued  bool          // it never got a slot: the other reads held them all
	Slots   int           // the gate's MaxConcurrent
}

func (e *TimeoutError) Error() string {
	if e.Queued {
		return fmt.Sprintf("%s: waited %s for one of the %d query slots, all taken by other reads", e.Op, e.Timeout, e.Slots)
	}
	return fmt.Sprintf("%s: the query did not finish within %s", e.Op, e.Timeout)
}

func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// errGateDeadline is the cause of the gate's own deadline, which tells it
// apart from the caller's cancellation or deadline.
var errGateDeadline = errors.New("readgate: query timeout")

// Gate admits reads. Its methods are safe for concurrent use.
type Gate struct {
	slots     chan struct{}
	timeout   time.Duration
	onTimeout func(*TimeoutError)
}

// New returns a gate with the bounds of cfg.
// onTimeout, when not nil, is told of every read that timed out (to log
// and count it); it must not block.
func New(cfg Config, onTimeout func(*TimeoutError)) *Gate {
	return &Gate{slots: make(chan struct{}, max(cfg.MaxConcurrent, 1)), timeout: cfg.Timeout, onTimeout: onTimeout}
}

// Do runs read once a slot is free, with the gate's deadline on its
// context. It returns read's error, or a *TimeoutError when the gate's
// deadline passed first; the caller's own cancellation is returned as it
// is.
func (g *Gate) Do(ctx context.Context, op string, read func(context.Context) error) error {
	if g.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, g.timeout, errGateDeadline)
		defer cancel()
	}
	if err := ctx.Err(); err != nil {
		return g.failed(ctx, op, true, err)
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return g.failed(ctx, op, true, ctx.Err())
	}
	defer func() { <-g.slots }()
	if err := read(ctx); err != nil {
		return g.failed(ctx, op, false, err)
	}
	return nil
}

// failed turns err into a *TimeoutError when the gate's deadline is what
// ended the read.
func (g *Gate) failed(ctx context.Context, op string, queued bool, err error) error {
	if !errors.Is(context.Cause(ctx), errGateDeadline) {
		return err
	}
	te := &TimeoutError{Op: op, Timeout: g.timeout, Queued: queued, Slots: cap(g.slots)}
	if g.onTimeout != nil {
		g.onTimeout(te)
	}
	return te
}

// call runs f(ctx, arg) through the gate and returns its result.
func call[A, T any](ctx context.Context, g *Gate, op string, arg A, f func(context.Context, A) (T, error)) (T, error) {
	var out T
	err := g.Do(ctx, op, func(ctx context.Context) error {
		var err error
		out, err = f(ctx, arg)
		return err
	})
	return out, err
}
