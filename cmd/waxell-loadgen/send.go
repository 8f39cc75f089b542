package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type grpcSender struct {
	conn   *grpc.ClientConn
	client ptraceotlp.GRPCClient
}

type httpSender struct {
	url    string
	client *http.Client
}

func newOTLPSender(o options) (sender, error) {
	switch o.protocol {
	case "grpc":
		ep := o.endpoint
		if ep == "" {
			ep = "127.0.0.1:4317"
		}
		conn, err := grpc.NewClient(ep, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, err
		}
		return &grpcSender{conn: conn, client: ptraceotlp.NewGRPCClient(conn)}, nil
	case "http":
		ep := o.endpoint
		if ep == "" {
			ep = "http://127.0.0.1:4318/v1/traces"
		}
		tr := &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency, IdleConnTimeout: time.Minute}
		return &httpSender{url: ep, client: &http.Client{Transport: tr}}, nil
	}
	return nil, fmt.Errorf("-protocol: %q is not grpc or http", o.protocol)
}

func (s *grpcSender) send(ctx context.Context, runs []run) error {
	req := ptraceotlp.NewExportRequestFromTraces(render(runs))
	resp, err := s.client.Export(ctx, req)
	if err != nil {
		return err
	}
	if ps := resp.PartialSuccess(); ps.RejectedSpans() > 0 {
		return fmt.Errorf("partial success: %d spans rejected: %s", ps.RejectedSpans(), ps.ErrorMessage())
	}
	return nil
}

func (s *grpcSender) close() { s.conn.Close() }

func (s *httpSender) send(ctx context.Context, runs []run) error {
	body, err := ptraceotlp.NewExportRequestFromTraces(render(runs)).MarshalProto()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	return nil
}

func (s *httpSender) close() { s.client.CloseIdleConnections() }

// copySender is the "limit": the same run and call rows the exporter derives,
// written with COPY into tables without indexes or constraints, one
// transaction per request (as the exporter does per batch).
type copySender struct {
	pool *pgxpool.Pool
}

const copySchema = `
DROP TABLE IF EXISTS bench_runs, bench_calls;
CREATE TABLE bench_runs (
  run_key text, trace_id bytea, root_span_id bytea, user_id text, session_id text, agent_name text,
  workflow_name text, convention text, started_at bigint, completed_at bigint, status text,
  input_tokens bigint, output_tokens bigint, cache_read_tokens bigint, cache_write_tokens bigint,
  reasoning_tokens bigint, cost_nanos bigint, call_count int);
CREATE TABLE bench_calls (
  trace_id bytea, span_id bytea, run_key text, user_id text, model text, provider text,
  started_at bigint, completed_at bigint, input_tokens bigint, output_tokens bigint,
  cache_read_tokens bigint, cache_write_tokens bigint, reasoning_tokens bigint, cost_nanos bigint,
  cost_source text);`

var runCols = []string{"run_key", "trace_id", "root_span_id", "user_id", "session_id", "agent_name", "workflow_name",
	"convention", "started_at", "completed_at", "status", "input_tokens", "output_tokens", "cache_read_tokens",
	"cache_write_tokens", "reasoning_tokens", "cost_nanos", "call_count"}
var callCols = []string{"trace_id", "span_id", "run_key", "user_id", "model", "provider", "started_at", "completed_at",
	"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "cost_nanos", "cost_source"}

func newCopySender(ctx context.Context, o options) (sender, error) {
	if o.pgDSN == "" {
		return nil, fmt.Errorf("-target pgcopy needs -pg-dsn")
	}
	cfg, err := pgxpool.ParseConfig(o.pgDSN)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(o.concurrency)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, copySchema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("create bench tables: %w", err)
	}
	return &copySender{pool: pool}, nil
}

func (s *copySender) send(ctx context.Context, runs []run) error {
	runRows := make([][]any, 0, len(runs))
	var callRows [][]any
	for i := range runs {
		r := &runs[i]
		key := fmt.Sprintf("%x:%x", r.traceID, r.rootID)
		var in, out, cr, cw, rs, cost int64
		for j := range r.calls {
			c := &r.calls[j]
			in, out, cr, cw, rs, cost = in+c.input, out+c.output, cr+c.cacheRead, cw+c.cacheWrite, rs+c.reasoning, cost+c.costNanos
			callRows = append(callRows, []any{r.traceID[:], c.spanID[:], key, r.user, c.model.response, c.model.provider,
				c.start, c.end, c.input, c.output, c.cacheRead, c.cacheWrite, c.reasoning, c.costNanos, "computed"})
		}
		runRows = append(runRows, []any{key, r.traceID[:], r.rootID[:], r.user, r.session, r.agent, "default", r.conv,
			r.start, r.end, "success", in, out, cr, cw, rs, cost, int32(len(r.calls))})
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_runs"}, runCols, pgx.CopyFromRows(runRows)); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_calls"}, callCols, pgx.CopyFromRows(callRows)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (s *copySender) close() { s.pool.Close() }
