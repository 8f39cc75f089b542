package ui

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// recordingReader records the store reads of a page and their answers, to
// check the reads and to replay the answers without the store.
type recordingReader struct {
	Reader
	mu       sync.Mutex
	reads    []string
	lists    []store.UserQuery
	pages    []store.UserPage
	agents   []string
	user     *store.UserDetail
	points   []store.Point
	sessions store.SessionPage
	runQs    []store.RunQuery
	runs     []store.RunPage
}

// record notes a read and stores its answer, under the lock: a list
// page reads its rows and the agents at once.
func (r *recordingReader) record(read string, keep func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads = append(r.reads, read)
	keep()
}

func (r *recordingReader) ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error) {
	pg, err := r.Reader.ListUsers(ctx, q)
	r.record("ListUsers", func() { r.lists, r.pages = append(r.lists, q), append(r.pages, pg) })
	return pg, err
}

func (r *recordingReader) ListAgents(ctx context.Context) ([]string, error) {
	a, err := r.Reader.ListAgents(ctx)
	r.record("ListAgents", func() { r.agents = a })
	return a, err
}

func (r *recordingReader) GetUser(ctx context.Context, id string) (store.UserDetail, error) {
	d, err := r.Reader.GetUser(ctx, id)
	r.record("GetUser", func() { r.user = &d })
	return d, err
}

func (r *recordingReader) ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	p, err := r.Reader.ListSessions(ctx, q)
	r.record("ListSessions", func() {
		r.sessions = p
		if q.Limit < 1 || q.Limit > maxLimit || q.UserID == "" {
			r.reads = append(r.reads, "ListSessions beyond a user's page")
		}
	})
	return p, err
}

func (r *recordingReader) ListRuns(ctx context.Context, q store.RunQuery) (store.RunPage, error) {
	p, err := r.Reader.ListRuns(ctx, q)
	r.record("ListRuns", func() { r.runQs, r.runs = append(r.runQs, q), append(r.runs, p) })
	return p, err
}

func (r *recordingReader) UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error) {
	p, err := r.Reader.UserTimeseries(ctx, q)
	r.record("UserTimeseries", func() { r.points = p })
	return p, err
}

// checkReads fails t unless page p made the reads of one page: a users
// list one ListUsers read (two for a Previous link whose cursor lost its
// rows), of at most a page and one row, by keyset unless p is an offset
// bookmark; a user's page one GetUser, one page of the user's sessions and
// one UserTimeseries. It returns
// the number of users the page shows, at most limit.
func (r *recordingReader) checkReads(t *testing.T, p largePage, limit int) int {
	t.Helper()
	if r.user != nil {
		if got := slices.Sorted(slices.Values(r.reads)); !slices.Equal(got, []string{"GetUser", "ListSessions", "UserTimeseries"}) {
			t.Errorf("%s: reads %v", p.name, r.reads)
		}
		return 1
	}
	if n := len(r.lists); n == 0 || n > 2 {
		t.Errorf("%s: %d ListUsers reads", p.name, n)
		return 0
	}
	for _, q := range r.lists {
		if q.Limit > maxLimit+1 {
			t.Errorf("%s: a read of %d rows", p.name, q.Limit)
		}
		if q.Offset != 0 && p.name != "list/old-offset-bookmark" {
			t.Errorf("%s: a read at offset %d instead of by keyset", p.name, q.Offset)
		}
	}
	return min(len(r.pages[len(r.pages)-1].Users), limit)
}

// replay returns a Reader that answers what r recorded, from memory.
func (r *recordingReader) replay() Reader {
	return &replayReader{rec: r}
}

type replayReader struct {
	Reader // nil: a read that was not recorded panics
	rec    *recordingReader
	mu     sync.Mutex
	next   int
}

// replayNext returns the next of the recorded pages, in turn.
func replayNext[P any](r *replayReader, pages []P) P {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := pages[r.next%len(pages)]
	r.next++
	return p
}

func (r *replayReader) ListUsers(context.Context, store.UserQuery) (store.UserPage, error) {
	return replayNext(r, r.rec.pages), nil
}

func (r *replayReader) ListAgents(context.Context) ([]string, error) { return r.rec.agents, nil }

func (r *replayReader) GetUser(context.Context, string) (store.UserDetail, error) {
	return *r.rec.user, nil
}

func (r *replayReader) ListSessions(context.Context, store.SessionQuery) (store.SessionPage, error) {
	return r.rec.sessions, nil
}

func (r *replayReader) ListRuns(context.Context, store.RunQuery) (store.RunPage, error) {
	return replayNext(r, r.rec.runs), nil
}

func (r *replayReader) UserTimeseries(context.Context, store.TimeseriesQuery) ([]store.Point, error) {
	return r.rec.points, nil
}
