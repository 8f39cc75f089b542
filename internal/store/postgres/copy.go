package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
)

// copyRows is the data of one COPY ... FROM STDIN (FORMAT binary). New
// spans, runs and calls are written by COPY rather than INSERT ... SELECT
// FROM unnest(...): the server then inserts them into the heap in multi-row
// WAL records instead of one per row, and the collector encodes each value
// straight into the stream instead of through pgx's array codecs. Only rows
// whose keys cannot exist yet (ledger.Changes' inserted rows, new spans of
// locked traces) go this way: COPY has no ON CONFLICT. pgx's own
// Conn.CopyFrom takes each row as []any, which boxes every string and most
// integers (one allocation each, about 20 per span); writing the stream here
// and sending it with PgConn.CopyFrom allocates one buffer per batch.
type copyRows struct {
	buf []byte
}

// copyHeader is the binary COPY header: signature, flags, extension length.
const copyHeader = "PGCOPY\n\377\r\n\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00"

func newCopyRows(rows, bytesPerRow int) *copyRows {
	c := &copyRows{buf: make([]byte, 0, len(copyHeader)+rows*bytesPerRow+2)}
	c.buf = append(c.buf, copyHeader...)
	return c
}

func (c *copyRows) row(fields int) { c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(fields)) }

func (c *copyRows) bytea(b []byte) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(b)))
	c.buf = append(c.buf, b...)
}

// text writes s; the server checks that it is valid UTF-8, as it does for
// every text parameter.
func (c *copyRows) text(s string) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(s)))
	c.buf = append(c.buf, s...)
}

func (c *copyRows) int8(v int64) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 8)
	c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(v))
}

func (c *copyRows) bool(v bool) {
	b := byte(0)
	if v {
		b = 1
	}
	c.buf = append(c.buf, 0, 0, 0, 1, b)
}

// copyNew writes rows into table by one COPY; write gives a row's values in
// the order of columns.
func copyNew[T any](ctx context.Context, t *applyTx, table, columns string, rows []T, bytesPerRow int,
	write func(rowWriter, *T)) error {
	if len(rows) == 0 {
		return nil
	}
	c := newCopyRows(len(rows), bytesPerRow)
	for i := range rows {
		write(c, &rows[i])
	}
	return c.send(ctx, t, table, columns, len(rows))
}

// send runs COPY table (columns) with the rows written. It does not wait for
// statements queued in t: the COPYs come first in ApplyChanges.
func (c *copyRows) send(ctx context.Context, t *applyTx, table, columns string, want int) error {
	c.buf = binary.BigEndian.AppendUint16(c.buf, 0xffff) // trailer: field count -1
	tag, err := t.tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(c.buf),
		"COPY "+table+" ("+columns+") FROM STDIN (FORMAT binary)")
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	if n := tag.RowsAffected(); n != int64(want) {
		return fmt.Errorf("copy %s: %d rows written of %d", table, n, want)
	}
	return nil
}
