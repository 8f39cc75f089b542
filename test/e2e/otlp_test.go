package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	contentTypeProtobuf = "application/x-protobuf"
	contentTypeJSON     = "application/json"
)

// sendGRPC exports td to the collector's OTLP gRPC endpoint.
func sendGRPC(t *testing.T, c *collector, td ptrace.Traces) {
	t.Helper()
	conn, err := grpc.NewClient(c.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("OTLP gRPC: %v", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		t.Fatalf("OTLP gRPC export: %v", err)
	}
	if ps := resp.PartialSuccess(); ps.RejectedSpans() != 0 || ps.ErrorMessage() != "" {
		t.Fatalf("OTLP gRPC export: %d spans rejected: %s", ps.RejectedSpans(), ps.ErrorMessage())
	}
}

// sendHTTP exports td to POST /v1/traces as protobuf or JSON and checks the
// answer, which comes in the request's encoding.
func sendHTTP(t *testing.T, c *collector, td ptrace.Traces, contentType string) {
	t.Helper()
	req := ptraceotlp.NewExportRequestFromTraces(td)
	var body []byte
	var err error
	if contentType == contentTypeJSON {
		body, err = req.MarshalJSON()
	} else {
		body, err = req.MarshalProto()
	}
	if err != nil {
		t.Fatal(err)
	}
	status, gotType, respBody := postTraces(t, c, body, contentType)
	if status != http.StatusOK {
		t.Fatalf("OTLP HTTP (%s): status %d: %s", contentType, status, respBody)
	}
	if gotType != contentType {
		t.Errorf("OTLP HTTP (%s): answer Content-Type %q", contentType, gotType)
	}
	resp := ptraceotlp.NewExportResponse()
	if contentType == contentTypeJSON {
		err = resp.UnmarshalJSON(respBody)
	} else {
		err = resp.UnmarshalProto(respBody)
	}
	if err != nil {
		t.Fatalf("OTLP HTTP (%s): cannot decode the answer %q: %v", contentType, respBody, err)
	}
	if ps := resp.PartialSuccess(); ps.RejectedSpans() != 0 || ps.ErrorMessage() != "" {
		t.Fatalf("OTLP HTTP (%s): %d spans rejected: %s", contentType, ps.RejectedSpans(), ps.ErrorMessage())
	}
}

// postTraces POSTs a raw body to /v1/traces.
func postTraces(t *testing.T, c *collector, body []byte, contentType string) (status int, respType string, respBody []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.httpURL+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.httpClient.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/traces: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST /v1/traces: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// sendDataset sends the data set, one request per transport, and with
// markers one marker run in each request.
func sendDataset(t *testing.T, c *collector, withMarkers bool) {
	t.Helper()
	runs := [][]agentRun{slices.Clone(grpcRuns), slices.Clone(httpProtoRuns), slices.Clone(httpJSONRuns)}
	if withMarkers {
		for i := range runs {
			runs[i] = append(runs[i], markers[i])
		}
	}
	sendGRPC(t, c, buildTraces(runs[0]...))
	sendHTTP(t, c, buildTraces(runs[1]...), contentTypeProtobuf)
	sendHTTP(t, c, buildTraces(runs[2]...), contentTypeJSON)
}
