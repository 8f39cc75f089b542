-- A run's key starts with its trace id in lower-case hex, then ':'
-- (genai.RunKey), so the unique index on run_key finds a trace's runs as a
-- range of keys (runsOfTrace in tx.go). runs (trace_id) served only that
-- lookup; it goes, one index insert less per run written.
DROP INDEX IF EXISTS runs_trace;
