package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

var update = flag.Bool("update", false, "rewrite testdata/dataset.json from the Go data set")

// datasetFile holds the whole data set as one OTLP/JSON request, for trying
// the collector by hand (see README.md):
//
//	curl -H 'Content-Type: application/json' --data-binary @test/e2e/testdata/dataset.json \
//	  http://localhost:4318/v1/traces
const datasetFile = "testdata/dataset.json"

// TestDatasetFile keeps testdata/dataset.json equal to the data set the
// tests send (go test ./test/e2e -run TestDatasetFile -update rewrites it).
func TestDatasetFile(t *testing.T) {
	td := buildTraces(slices.Concat(grpcRuns, httpProtoRuns, httpJSONRuns)...)
	raw, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := json.Indent(&want, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	want.WriteByte('\n')
	if *update {
		if err := os.WriteFile(datasetFile, want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(filepath.FromSlash(datasetFile))
	if err != nil {
		t.Fatalf("%v (run: go test ./test/e2e -run TestDatasetFile -update)", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("%s is not the data set the tests send; run: go test ./test/e2e -run TestDatasetFile -update", datasetFile)
	}
}
