package waxellexporter // import "github.com/waxell/otelcol-waxell/exporter/waxellexporter"

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// retainer is the part of the store retention needs.
type retainer interface {
	Retain(ctx context.Context, before time.Time) (int64, error)
}

// retention runs the store's Retain every interval (the first time right
// away) until stop.
type retention struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func startRetention(st retainer, maxAge, every time.Duration, logger *zap.Logger, tel *telemetry) *retention {
	ctx, cancel := context.WithCancel(context.Background())
	r := &retention{cancel: cancel, done: make(chan struct{})}
	logger.Info("Retention is on: traces whose spans all started longer ago than this are deleted; "+
		"lifetime aggregates are kept", zap.Duration("retention", maxAge), zap.Duration("interval", every))
	go func() {
		defer close(r.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			before := time.Now().Add(-maxAge)
			n, err := st.Retain(ctx, before)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				logger.Warn("Retention failed; it runs again at the next interval",
					zap.Duration("interval", every), zap.Error(err))
			case n > 0:
				// Log before counting: whoever sees the count can find the log.
				logger.Info("Retention deleted old traces (spans, runs and calls); lifetime aggregates are kept",
					zap.Int64("traces", n), zap.Time("started_before", before))
				tel.tracesRetired.Add(ctx, n)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return r
}

// stop cancels a running Retain (its transaction rolls back) and waits for
// the goroutine to end.
func (r *retention) stop() {
	r.cancel()
	<-r.done
}
