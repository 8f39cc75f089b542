package genai

import "strings"

// Span roles (design S1, reference §10.3 and §10.4). The markers are tried
// from the most explicit to the least:
//
//  1. langfuse.observation.type (generation, embedding, agent, tool, chain);
//  2. openinference.span.kind (an explicit kind is final);
//  3. traceloop.span.kind: agent -> agent; task and workflow -> aggregate;
//     tool -> tool. A Traceloop workflow is deliberately NOT a run root: the
//     SDK's withWorkflow wraps batch jobs and whole request handlers, and the
//     recorded fixtures (testdata/fixtures/README.md, traceloop) require the
//     agent grain: one run per withAgent, not one per workflow. It still
//     groups agent-less LLM calls into the trace's implicit run.
//     traceloop.span.kind comes before gen_ai.operation.name because CrewAI
//     tasks carry both task and invoke_agent (§8);
//  4. gen_ai.operation.name;
//  5. llm.request.type (OpenLLMetry <= 0.4);
//  6. Vercel AI SDK operation ids (ai.operationId, else the span name);
//  7. span names of frameworks without markers (LiteLLM, ADK, CrewAI, Strands,
//     Pydantic AI v2);
//  8. fallback: a span with a model and usage is an LLM call.
type roleInput struct {
	name, scope string
	root        bool
	hasModel    bool
	hasUsage    bool
}

// vercelOuter reports whether op is a Vercel outer text/object call.
func vercelOuter(op string) bool {
	switch op {
	case "ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject":
		return true
	}
	return false
}

// vercelOperation is ai.operationId, else the span name when it looks like one.
func (st *state) vercelOperation(name string) string {
	if op := st.c[sAIOpID].str; op != "" {
		return op
	}
	if strings.HasPrefix(name, "ai.") {
		return name
	}
	return ""
}

func (st *state) classify(in roleInput) Role {
	switch t := st.c[sLFType].str; {
	case t == "":
	case strings.EqualFold(t, "generation"), strings.EqualFold(t, "embedding"):
		return RoleLLM
	case strings.EqualFold(t, "agent"):
		return RoleAgent
	case strings.EqualFold(t, "tool"):
		return RoleTool
	case strings.EqualFold(t, "chain"):
		return RoleAggregate
	}

	if k := st.c[sOIKind].str; k != "" {
		switch {
		case strings.EqualFold(k, "LLM"), strings.EqualFold(k, "EMBEDDING"):
			return RoleLLM
		case strings.EqualFold(k, "AGENT"):
			return RoleAgent
		case strings.EqualFold(k, "CHAIN"):
			return RoleAggregate
		case strings.EqualFold(k, "TOOL"):
			return RoleTool
		default: // RETRIEVER, RERANKER, GUARDRAIL, EVALUATOR, PROMPT
			return RoleOther
		}
	}

	switch k := st.c[sTLKind].str; k {
	case "agent":
		return RoleAgent
	case "workflow", "task":
		return RoleAggregate
	case "tool":
		return RoleTool
	}

	switch st.c[sOp].str {
	case "":
	case "chat", "text_completion", "generate_content", "completion", "generate", "embeddings":
		return RoleLLM
	case "invoke_agent", "invoke_workflow":
		return RoleAgent
	case "invoke_swarm", "invoke_graph":
		// Strands multi-agent orchestration (§8): one run for the whole
		// swarm or graph (operation names not verified in source).
		return RoleAgent
	case "agent_step", "plan":
		return RoleAggregate
	case "execute_tool":
		return RoleTool
	case "create_agent":
		// Creating an agent is not a run (§2.3 has no usage on it).
		return RoleOther
	default: // retrieval, *_memory, rerank, ...
		return RoleOther
	}

	if st.c[sLLMReqType].set {
		return RoleLLM
	}

	if op := st.vercelOperation(in.name); op != "" {
		switch {
		case strings.HasSuffix(op, ".doGenerate"), strings.HasSuffix(op, ".doStream"), strings.HasSuffix(op, ".doEmbed"):
			return RoleLLM
		case vercelOuter(op):
			if st.c[sFunctionID].str != "" {
				return RoleAgent
			}
			return RoleAggregate
		case op == "ai.embed", op == "ai.embedMany":
			return RoleAggregate
		case op == "ai.toolCall":
			return RoleTool
		}
	}

	switch in.name {
	case "litellm_request", "call_llm":
		return RoleLLM
	case "crewai.workflow", "agent run":
		return RoleAgent
	case "execute_event_loop_cycle":
		return RoleAggregate
	case "invocation":
		// ADK's root span; the name is too generic to trust elsewhere.
		if in.scope == "gcp.vertex.agent" || strings.HasPrefix(in.scope, "google.adk") || (in.scope == "" && in.root) {
			return RoleAgent
		}
	}

	if strings.HasPrefix(in.name, "agent_run [") {
		return RoleAgent // older ADK agent spans
	}
	if in.hasModel && in.hasUsage {
		return RoleLLM
	}
	return RoleOther
}

// agentName is the identity of an agent-role span (§10.2 agent_name).
// gen_ai.agent.name elsewhere is context only (§9.6).
func (st *state) agentName(name, reqModel, respModel string) (string, string) {
	if c := &st.c[fAgent]; c.set {
		return c.str, c.key
	}
	if op := st.c[sOp].str; op == "invoke_agent" || op == "create_agent" {
		if v := st.c[sGenAIAgentName].str; v != "" {
			return v, "gen_ai.agent.name"
		}
	}
	if v := st.c[sOIAgentName].str; v != "" {
		return v, "agent.name"
	}
	if st.c[sTLKind].str == "agent" {
		if v := st.c[sTLEntity].str; v != "" {
			return v, "traceloop.entity.name"
		}
	}
	if v := st.c[sPydAgentName].str; v != "" {
		return v, "agent_name"
	}
	if vercelOuter(st.vercelOperation(name)) {
		if v := st.c[sFunctionID].str; v != "" {
			return v, "ai.telemetry.functionId"
		}
	}
	if v := agentFromSpanName(name); v != "" {
		if v == reqModel || v == respModel {
			// AI SDK v7 names its root "invoke_agent {modelId}" when no
			// functionId is set: that is a model, not an agent.
			return "", ""
		}
		return v, spanNameKey
	}
	// OpenInference AGENT and Langfuse agent observations are named after
	// the agent (§3, §6; no agent.name attribute in the recorded fixtures).
	if strings.EqualFold(st.c[sOIKind].str, "AGENT") || strings.EqualFold(st.c[sLFType].str, "agent") {
		return strings.TrimSpace(name), spanNameKey
	}
	return "", ""
}

// spanNameKey is the Issue.Attribute of values parsed from the span name.
const spanNameKey = "span.name"

// agentFromSpanName parses "invoke_agent X", "X.agent" and "agent_run [X]".
func agentFromSpanName(n string) string {
	switch {
	case strings.HasPrefix(n, "invoke_agent "):
		return strings.TrimSpace(n[len("invoke_agent "):])
	case strings.HasPrefix(n, "agent_run [") && strings.HasSuffix(n, "]"):
		return strings.TrimSpace(n[len("agent_run [") : len(n)-1])
	case strings.HasSuffix(n, ".agent"):
		return strings.TrimSpace(n[:len(n)-len(".agent")])
	}
	return ""
}

// workflowName resolves §10.2 workflow_name: the configured and built-in keys,
// then the AI SDK v7 root gen_ai.agent.name (its functionId), then the root
// span name of an OpenAI-Agents trace (the SERVER invoke_agent root of the
// python-contrib processor), then "invoke_workflow X".
func (st *state) workflowName(name, convention string, server, root bool) (string, string) {
	if c := &st.c[fWorkflow]; c.set {
		return c.str, c.key
	}
	op := st.c[sOp].str
	if op == "invoke_agent" && convention == ConvVercelAI {
		if v := st.c[sGenAIAgentName].str; v != "" {
			return v, "gen_ai.agent.name"
		}
	}
	if op == "invoke_agent" && server && root {
		return strings.TrimSpace(name), spanNameKey
	}
	if op == "invoke_workflow" && strings.HasPrefix(name, "invoke_workflow ") {
		return strings.TrimSpace(name[len("invoke_workflow "):]), spanNameKey
	}
	return "", ""
}
