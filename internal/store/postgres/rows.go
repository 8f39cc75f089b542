package postgres

import "github.com/waxell/otelcol-waxell/internal/genai"

// rowWriter receives a row's values in column order. The same writeSpan,
// writeRun and writeCall feed both ways rows are sent: a binary COPY stream
// for new rows (copyRows) and one typed array per column for the upserts of
// changed ones (columnArrays), so the column order is stated once per table.
type rowWriter interface {
	row(fields int)
	bytea(b []byte)
	text(s string)
	int8(v int64)
	bool(v bool)
}

// writeUsage writes the five token counts, in the column order every table
// with usage has (input, output, cache read, cache write, reasoning).
func writeUsage(w rowWriter, u genai.Usage) {
	w.int8(u.Input)
	w.int8(u.Output)
	w.int8(u.CacheRead)
	w.int8(u.CacheWrite)
	w.int8(u.Reasoning)
}

// writeSpan writes s in spanColumns order.
func writeSpan(w rowWriter, s *genai.Span) {
	w.row(23)
	w.bytea(s.TraceID[:])
	w.bytea(s.SpanID[:])
	w.bytea(s.ParentSpanID[:])
	w.int8(s.Start)
	w.int8(s.End)
	w.bool(s.Error)
	w.text(string(s.Role))
	w.text(s.Convention)
	w.text(s.Service)
	w.text(s.UserID)
	w.text(s.SessionID)
	w.text(s.AgentName)
	w.text(s.WorkflowName)
	w.text(s.Model)
	w.text(s.Provider)
	w.bool(s.HasUsage)
	writeUsage(w, s.Usage)
	w.int8(s.CostNanos)
	w.text(string(s.CostSource))
}

// writeRun writes r in runColumns order.
func writeRun(w rowWriter, r *genai.Run) {
	w.row(19)
	w.text(r.Key)
	w.bytea(r.TraceID[:])
	w.bytea(r.RootSpanID[:])
	w.bool(r.Implicit)
	w.text(r.UserID)
	w.text(r.SessionID)
	w.text(r.AgentName)
	w.text(r.WorkflowName)
	w.int8(r.Start)
	w.int8(r.End)
	w.bool(r.Error)
	writeUsage(w, r.Usage)
	w.int8(r.CostNanos)
	w.int8(r.CallCount)
	w.int8(r.UserConflicts)
}

// writeCall writes c in callColumns order.
func writeCall(w rowWriter, c *genai.Call) {
	w.row(16)
	w.bytea(c.TraceID[:])
	w.bytea(c.SpanID[:])
	w.text(c.RunKey)
	w.int8(c.Start)
	w.text(c.Model)
	w.text(c.Provider)
	writeUsage(w, c.Usage)
	w.int8(c.CostNanos)
	w.text(string(c.CostSource))
	w.bool(c.Aggregate)
	w.text(c.UserID)
	w.int8(c.RunStart)
}

// queueUpserts queues sql (an upsert from unnest of one array per column) for
// rows; write gives a row's values in column order.
func queueUpserts[T any](t *applyTx, sql string, rows []T, write func(rowWriter, *T)) {
	if len(rows) == 0 {
		return
	}
	a := newColumnArrays(len(rows))
	for i := range rows {
		write(a, &rows[i])
	}
	t.queue(sql, a.args()...)
}

// columnArrays collects rows as one typed array per column: the parameters
// of an INSERT ... SELECT FROM unnest($1::..[], $2::..[], ...).
type columnArrays struct {
	cols []any // *[][]byte, *[]string, *[]int64 or *[]bool, one per column
	next int   // column of the next value
	rows int   // capacity of each column
}

func newColumnArrays(rows int) *columnArrays { return &columnArrays{rows: rows} }

func (a *columnArrays) row(int)        { a.next = 0 }
func (a *columnArrays) bytea(b []byte) { appendColumn(a, b) }
func (a *columnArrays) text(s string)  { appendColumn(a, s) }
func (a *columnArrays) int8(v int64)   { appendColumn(a, v) }
func (a *columnArrays) bool(v bool)    { appendColumn(a, v) }

// appendColumn appends v to the next column, creating the column on the
// first row.
func appendColumn[T any](a *columnArrays, v T) {
	if a.next == len(a.cols) {
		col := make([]T, 0, a.rows)
		a.cols = append(a.cols, &col)
	}
	col := a.cols[a.next].(*[]T)
	*col = append(*col, v)
	a.next++
}

// args returns the columns as statement arguments.
func (a *columnArrays) args() []any {
	out := make([]any, len(a.cols))
	for i, c := range a.cols {
		switch c := c.(type) {
		case *[][]byte:
			out[i] = *c
		case *[]string:
			out[i] = *c
		case *[]int64:
			out[i] = *c
		case *[]bool:
			out[i] = *c
		}
	}
	return out
}
