package useraggprocessor

import "go.opentelemetry.io/collector/pdata/ptrace"

// Scenarios behind the golden input files in testdata/traces (the files are
// the source of truth; these builders only produced them and feed the
// plain-assertion tests and the benchmark).

// implicitRun: OpenInference LLM spans without an agent span under an HTTP
// root; one reports its cost, one uses a model with no price.
func implicitRun(trace uint64) resourceSpec {
	return resourceSpec{
		service: "ask-service",
		trace:   trace,
		scopes: []scopeSpec{
			{name: "io.opentelemetry.http", spans: []spanSpec{{
				id: 11, name: "GET /ask", kind: ptrace.SpanKindServer, startMs: 0, endMs: 3000,
				attrs: map[string]any{"http.request.method": "GET"},
			}}},
			{name: "openinference.instrumentation.anthropic", spans: []spanSpec{
				{
					id: 12, parent: 11, name: "Messages", startMs: 100, endMs: 1500,
					attrs: map[string]any{
						"openinference.span.kind":    "LLM",
						"llm.model_name":             "claude-3-5-sonnet-20241022",
						"llm.provider":               "anthropic",
						"llm.token_count.prompt":     800,
						"llm.token_count.completion": 120,
						"llm.token_count.total":      920,
						"llm.cost.total":             0.0042,
						"user.id":                    "bob",
						"session.id":                 "s-1",
						"input.value":                "What is the capital of France?",
					},
				},
				{
					id: 13, parent: 11, name: "Messages", startMs: 1600, endMs: 2900,
					attrs: map[string]any{
						"openinference.span.kind":    "LLM",
						"llm.model_name":             "acme-unknown-model",
						"llm.token_count.prompt":     10,
						"llm.token_count.completion": 5,
					},
				},
			}},
		},
	}
}

// wrappedCalls: an OpenLLMetry workflow whose agent span repeats its
// children's usage, an LLM call recorded by two instrumentations, and a
// malformed token value.
func wrappedCalls(trace uint64) resourceSpec {
	return resourceSpec{
		service: "triage-worker",
		trace:   trace,
		scopes: []scopeSpec{
			{name: "opentelemetry.instrumentation.crewai", spans: []spanSpec{
				{
					id: 21, name: "triage.workflow", startMs: 0, endMs: 5000,
					attrs: map[string]any{
						"traceloop.span.kind":                         "workflow",
						"traceloop.workflow.name":                     "triage",
						"traceloop.entity.name":                       "triage",
						"traceloop.association.properties.user_id":    "carol",
						"traceloop.association.properties.session_id": "t-9",
					},
				},
				{
					id: 22, parent: 21, name: "classifier.agent", startMs: 10, endMs: 4990,
					attrs: map[string]any{
						"traceloop.span.kind":        "agent",
						"traceloop.entity.name":      "classifier",
						"traceloop.workflow.name":    "triage",
						"gen_ai.agent.name":          "classifier",
						"gen_ai.usage.input_tokens":  500,
						"gen_ai.usage.output_tokens": 60,
					},
				},
			}},
			{name: "opentelemetry.instrumentation.openai", spans: []spanSpec{{
				id: 23, parent: 22, name: "openai.chat", kind: ptrace.SpanKindClient, startMs: 20, endMs: 4000,
				attrs: map[string]any{
					"llm.request.type":               "chat",
					"gen_ai.system":                  "openai",
					"gen_ai.request.model":           "gpt-4o-mini",
					"gen_ai.response.model":          "gpt-4o-mini-2024-07-18",
					"gen_ai.usage.prompt_tokens":     500,
					"gen_ai.usage.completion_tokens": 60,
					"traceloop.workflow.name":        "triage",
					"gen_ai.usage.reasoning_tokens":  "lots",
				},
			}}},
			{name: "opentelemetry.instrumentation.openai_v2", spans: []spanSpec{{
				id: 24, parent: 23, name: "chat gpt-4o-mini", kind: ptrace.SpanKindClient, startMs: 30, endMs: 3990,
				attrs: map[string]any{
					"gen_ai.operation.name":      "chat",
					"gen_ai.system":              "openai",
					"gen_ai.request.model":       "gpt-4o-mini",
					"gen_ai.response.model":      "gpt-4o-mini-2024-07-18",
					"gen_ai.usage.input_tokens":  500,
					"gen_ai.usage.output_tokens": 60,
				},
			}}},
		},
	}
}

// batchJob: one trace holding two top-level agent runs for different users;
// the second run names two users (a conflict, the run's own wins).
func batchJob(trace uint64) resourceSpec {
	return resourceSpec{
		service: "nightly-batch",
		trace:   trace,
		scopes: []scopeSpec{{name: "pydantic-ai", spans: []spanSpec{
			{id: 31, name: "batch", startMs: 0, endMs: 10000, attrs: map[string]any{"job": "nightly"}},
			{
				id: 32, parent: 31, name: "invoke_agent summarizer", startMs: 100, endMs: 4000,
				attrs: map[string]any{
					"gen_ai.operation.name": "invoke_agent",
					"gen_ai.agent.name":     "summarizer",
					"user.id":               "dave",
				},
			},
			{
				id: 33, parent: 32, name: "chat claude-3-5-haiku-20241022", startMs: 200, endMs: 3900,
				attrs: map[string]any{
					"gen_ai.operation.name":      "chat",
					"gen_ai.provider.name":       "anthropic",
					"gen_ai.request.model":       "claude-3-5-haiku-20241022",
					"gen_ai.usage.input_tokens":  2000,
					"gen_ai.usage.output_tokens": 400,
					"operation.cost":             0.0031,
				},
			},
			{
				id: 34, parent: 31, name: "invoke_agent summarizer", startMs: 5000, endMs: 9000,
				attrs: map[string]any{
					"gen_ai.operation.name": "invoke_agent",
					"gen_ai.agent.name":     "summarizer",
					"user.id":               "erin",
				},
			},
			{
				id: 35, parent: 34, name: "chat claude-3-5-haiku-20241022", startMs: 5100, endMs: 8900,
				attrs: map[string]any{
					"gen_ai.operation.name":      "chat",
					"gen_ai.provider.name":       "anthropic",
					"gen_ai.request.model":       "claude-3-5-haiku-20241022",
					"gen_ai.usage.input_tokens":  1000,
					"gen_ai.usage.output_tokens": 200,
					"user.id":                    "mallory",
				},
			},
		}}},
	}
}

// vercelRun: Vercel AI SDK v4 outer ai.generateText (an agent named by its
// function id, repeating the usage) around its doGenerate call.
func vercelRun(trace uint64) resourceSpec {
	return resourceSpec{
		service: "next-app",
		trace:   trace,
		scopes: []scopeSpec{{name: "ai", spans: []spanSpec{
			{
				id: 41, name: "ai.generateText", startMs: 0, endMs: 1200,
				attrs: map[string]any{
					"operation.name":                  "ai.generateText summarize",
					"ai.operationId":                  "ai.generateText",
					"ai.telemetry.functionId":         "summarize",
					"ai.telemetry.metadata.userId":    "frank",
					"ai.telemetry.metadata.sessionId": "chat-7",
					"ai.model.id":                     "gpt-4o-mini",
					"ai.model.provider":               "openai.chat",
					"ai.usage.promptTokens":           300,
					"ai.usage.completionTokens":       90,
				},
			},
			{
				id: 42, parent: 41, name: "ai.generateText.doGenerate", kind: ptrace.SpanKindClient, startMs: 10, endMs: 1190,
				attrs: map[string]any{
					"operation.name":             "ai.generateText.doGenerate summarize",
					"ai.operationId":             "ai.generateText.doGenerate",
					"ai.telemetry.functionId":    "summarize",
					"ai.model.id":                "gpt-4o-mini",
					"ai.model.provider":          "openai.chat",
					"gen_ai.system":              "openai.chat",
					"gen_ai.request.model":       "gpt-4o-mini",
					"gen_ai.response.model":      "gpt-4o-mini-2024-07-18",
					"ai.usage.promptTokens":      300,
					"ai.usage.completionTokens":  90,
					"gen_ai.usage.input_tokens":  300,
					"gen_ai.usage.output_tokens": 90,
				},
			},
		}}},
	}
}
