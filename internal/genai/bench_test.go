package genai

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// benchSpec is a realistic chat span: 16 attributes as the OTel GenAI
// instrumentations emit them, plus a user id.
func benchSpec() spec {
	return spec{id: 2, parent: 1, name: "chat gpt-4o", kind: ptrace.SpanKindClient, scope: "opentelemetry.instrumentation.openai_v2", attrs: []kv{
		a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", "gpt-4o"),
		a("gen_ai.request.temperature", 0.2), a("gen_ai.request.max_tokens", 1024), a("server.address", "api.openai.com"),
		a("server.port", 443), a("gen_ai.response.id", "chatcmpl-123"), a("gen_ai.response.model", "gpt-4o-2024-08-06"),
		a("gen_ai.usage.input_tokens", 120), a("gen_ai.usage.output_tokens", 48),
		a("gen_ai.usage.cache_read.input_tokens", 32), a("gen_ai.usage.reasoning.output_tokens", 16),
		a("gen_ai.conversation.id", "conv-1"), a("user.id", "user-123"), a("http.response.status_code", 200),
	}}
}

func BenchmarkExtract(b *testing.B) {
	e := newTestExtractor()
	res, scope, span := benchSpec().build()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, issues := e.Extract(res, scope, span)
		if !s.HasUsage || issues != nil {
			b.Fatal("unexpected")
		}
	}
}

func BenchmarkExtractNonGenAI(b *testing.B) {
	e := newTestExtractor()
	res, scope, span := spec{id: 1, name: "GET /api", kind: ptrace.SpanKindServer, attrs: []kv{
		a("http.request.method", "GET"), a("http.route", "/api"), a("url.path", "/api"), a("http.response.status_code", 200),
		a("server.address", "example.com"), a("user_agent.original", "curl"), a("user.id", "u-1"),
	}}.build()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.Extract(res, scope, span)
	}
}

func TestExtractAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	e := newTestExtractor()
	res, scope, span := benchSpec().build()
	allocs := testing.AllocsPerRun(200, func() { e.Extract(res, scope, span) })
	if allocs > 10 {
		t.Fatalf("Extract allocates %.0f times per GenAI span, budget 10", allocs)
	}
}

// TestExtractConcurrent shares one Extractor between goroutines (run with -race).
func TestExtractConcurrent(t *testing.T) {
	e := newTestExtractor()
	res, scope, span := benchSpec().build()
	want, _ := e.Extract(res, scope, span)
	done := make(chan Span)
	for range 8 {
		go func() {
			var s Span
			for range 200 {
				s, _ = e.Extract(res, scope, span)
			}
			done <- s
		}()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}

// BenchmarkAnnotate writes the canonical attributes of a counted chat span
// of an implicit run. The span keeps its attribute slice between iterations,
// so this is the cost of the writes alone, without the slice's growth.
func BenchmarkAnnotate(b *testing.B) {
	e := newTestExtractor()
	_, _, span := benchSpec().build()
	s, _ := e.Extract(benchSpec().build())
	asm := Assemble([]Span{s})
	v := RunView{Run: &asm.Runs[0], Counted: asm.Counted[0]}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Annotate(span, &s, v)
	}
}
