package readgate

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Weight is what a read's cost grows with. It decides which slots the read
// may take.
type Weight int

const (
	// Light reads are bounded by their page or their key: a detail, a
	// lifetime page in an indexed order (milliseconds at any scale).
	Light Weight = iota
	// Heavy reads grow with the data they select: a time window's
	// aggregates, a filter's matches, the overview (seconds at scale).
	Heavy
	// Export reads are heavy reads of a whole list (a CSV export: a minute
	// at scale), bounded by Config.ExportTimeout instead of Timeout.
	Export
)

// Heavy reports whether w takes a heavy slot (HeavySlots).
func (w Weight) Heavy() bool { return w != Light }

// Config is the gate's bounds.
type Config struct {
	// MaxConcurrent is how many reads may run at once; the others wait
	// for a slot. Below 1 it is 1. From 2 up, heavy reads may hold all
	// slots but one (HeavySlots), so that a light read never waits behind
	// heavy ones alone.
	MaxConcurrent int
	// Timeout bounds each read but exports, including its wait for a slot;
	// 0 means no bound.
	Timeout time.Duration
	// ExportTimeout bounds each export (Export), including its wait for a
	// slot; 0 means no bound.
	ExportTimeout time.Duration
}

// TimeoutError is a read that did not finish within the gate's timeout,
// either because it ran too long or because it waited that long for a slot.
// It unwraps to context.DeadlineExceeded.
type TimeoutError struct {
	Op      string        // what was read ("list users")
	Timeout time.Duration // the gate's timeout
	Queued  bool          // it never got a slot: the other reads held them all
	Slots   int           // the gate's MaxConcurrent
	Heavy   bool          // a heavy read, which may take HeavySlots(Slots) of them
}

func (e *TimeoutError) Error() string {
	switch {
	case e.Queued && e.Heavy && HeavySlots(e.Slots) < e.Slots:
		return fmt.Sprintf("%s: waited %s for a query slot (heavy reads like this one may hold %d of the %d), "+
			"all taken by other reads", e.Op, e.Timeout, HeavySlots(e.Slots), e.Slots)
	case e.Queued:
		return fmt.Sprintf("%s: waited %s for one of the %d query slots, all taken by other reads", e.Op, e.Timeout, e.Slots)
	}
	return fmt.Sprintf("%s: the query did not finish within %s", e.Op, e.Timeout)
}

func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// HeavySlots is how many of slots heavy reads may hold at once: all but one,
// and the only one when there is one.
func HeavySlots(slots int) int { return max(slots-1, 1) }

// errGateDeadline is the cause of the gate's own deadline, which tells it
// apart from the caller's cancellation or deadline.
var errGateDeadline = errors.New("readgate: query timeout")

// Observer is told what the gate does, to log and count it. Its functions
// must not block; nil ones are skipped.
type Observer struct {
	// TimedOut is told of every read that timed out.
	TimedOut func(*TimeoutError)
	// Admitted is told of every read that got its slot, and how long it
	// waited for it.
	Admitted func(w Weight, waited time.Duration)
}

// Gate admits reads. Its methods are safe for concurrent use.
type Gate struct {
	slots         chan struct{} // every read holds one while it runs
	heavy         chan struct{} // a heavy read holds one of these first
	timeout       time.Duration
	exportTimeout time.Duration
	obs           Observer
}

// New returns a gate with the bounds of cfg, reporting to obs.
func New(cfg Config, obs Observer) *Gate {
	slots := max(cfg.MaxConcurrent, 1)
	return &Gate{slots: make(chan struct{}, slots), heavy: make(chan struct{}, HeavySlots(slots)),
		timeout: cfg.Timeout, exportTimeout: cfg.ExportTimeout, obs: obs}
}

// Do runs read once a slot is free for its weight, with the gate's deadline
// on its context. It returns read's error, or a *TimeoutError when the
// gate's deadline passed first; the caller's own cancellation is returned
// as it is.
func (g *Gate) Do(ctx context.Context, op string, w Weight, read func(context.Context) error) error {
	if d := g.timeoutOf(w); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, errGateDeadline)
		defer cancel()
	}
	arrived := time.Now()
	if w.Heavy() {
		if err := acquire(ctx, g.heavy); err != nil {
			return g.failed(ctx, op, w, true, err)
		}
		defer func() { <-g.heavy }()
	}
	if err := acquire(ctx, g.slots); err != nil {
		return g.failed(ctx, op, w, true, err)
	}
	defer func() { <-g.slots }()
	if g.obs.Admitted != nil {
		g.obs.Admitted(w, time.Since(arrived))
	}
	if err := read(ctx); err != nil {
		return g.failed(ctx, op, w, false, err)
	}
	return nil
}

// timeoutOf is the bound of a read of weight w; 0 means none.
func (g *Gate) timeoutOf(w Weight) time.Duration {
	if w == Export {
		return g.exportTimeout
	}
	return g.timeout
}

// acquire takes one of slots, or returns the context's error first.
func acquire(ctx context.Context, slots chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failed turns err into a *TimeoutError when the gate's deadline is what
// ended the read.
func (g *Gate) failed(ctx context.Context, op string, w Weight, queued bool, err error) error {
	if !errors.Is(context.Cause(ctx), errGateDeadline) {
		return err
	}
	te := &TimeoutError{Op: op, Timeout: g.timeoutOf(w), Queued: queued, Slots: cap(g.slots), Heavy: w.Heavy()}
	if g.obs.TimedOut != nil {
		g.obs.TimedOut(te)
	}
	return te
}

// call runs f(ctx, arg) through the gate as a read of weight w and returns
// its result.
func call[A, T any](ctx context.Context, g *Gate, op string, w Weight, arg A,
	f func(context.Context, A) (T, error)) (T, error) {
	var out T
	err := g.Do(ctx, op, w, func(ctx context.Context) error {
		var err error
		out, err = f(ctx, arg)
		return err
	})
	return out, err
}
