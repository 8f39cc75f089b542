package genai

import "strings"

// This file holds the attribute tables of every recognised convention: the
// precedence lists of docs/reference/genai-conventions.md §10.2, the marker
// keys used to classify spans (§10.3, §10.4) and to name their convention
// (§10.5), and provider normalisation.

// Convention names (Span.Convention).
const (
	ConvOTelGenAI     = "otel-genai"
	ConvOpenInference = "openinference"
	ConvOpenLLMetry   = "openllmetry"
	ConvVercelAI      = "vercel-ai"
	ConvLangfuse      = "langfuse"
	ConvPydanticAI    = "pydantic-ai"
	ConvStrands       = "strands"
	ConvGoogleADK     = "google-adk"
	ConvLiteLLM       = "litellm"
	ConvOpenLIT       = "openlit"
	ConvCrewAI        = "crewai"
	ConvOther         = "other"
)

// fieldID names one slot of the per-span candidate table. The first group are
// precedence lists that ExtractConfig extends; the rest are single marker or
// conditional keys resolved after the attribute pass.
type fieldID uint8

const (
	fUser fieldID = iota
	fSession
	fAgent // configured agent keys only: the built-in ones are conditional (§9.6)
	fWorkflow
	fModel // configured model keys, tried before the response and request models
	fRespModel
	fReqModel
	fProvider
	fInput
	fOutput
	fCacheRead
	fCacheWrite
	fReasoning
	fTotal
	fCost

	sOp             // gen_ai.operation.name
	sOIKind         // openinference.span.kind
	sTLKind         // traceloop.span.kind
	sTLEntity       // traceloop.entity.name
	sLLMReqType     // llm.request.type (OpenLLMetry <= 0.4)
	sLFType         // langfuse.observation.type
	sLFLevel        // langfuse.observation.level
	sAIOpID         // ai.operationId (Vercel)
	sFunctionID     // ai.telemetry.functionId (Vercel)
	sGenAIAgentName // gen_ai.agent.name: identity only on agent operations
	sOIAgentName    // agent.name (OpenInference)
	sPydAgentName   // agent_name (Pydantic AI v2)
	sLFUsage        // langfuse.observation.usage_details (JSON)
	sLFCost         // langfuse.observation.cost_details (JSON)
	sNoCache        // ai.usage.inputTokenDetails.noCacheTokens (Vercel v6)
	sServerAddr     // server.address

	numFields
)

// fieldKind says how a field's values are read during the attribute pass.
type fieldKind uint8

const (
	kindRaw      fieldKind = iota // string marker, trimmed, empty skipped
	kindID                        // user or session id: string or int
	kindName                      // agent, workflow or model name
	kindProvider                  // provider, normalised, deny-listed values skipped
	kindTokens                    // token count
	kindCost                      // USD amount
)

func (f fieldID) kind() fieldKind {
	switch f {
	case fUser, fSession:
		return kindID
	case fAgent, fWorkflow, fModel, fRespModel, fReqModel:
		return kindName
	case fProvider:
		return kindProvider
	case fInput, fOutput, fCacheRead, fCacheWrite, fReasoning, fTotal, sNoCache:
		return kindTokens
	case fCost:
		return kindCost
	default:
		return kindRaw
	}
}

// Built-in precedence lists (§10.2). Configured keys are tried before them.
var (
	builtinUserKeys = []string{
		"langfuse.user.id",
		"user.id",
		"enduser.id",
		"traceloop.association.properties.user_id",
		"ai.telemetry.metadata.userId",
		"ai.settings.context.userId",
		"langfuse.trace.metadata.langfuse_user_id",
		"langfuse.observation.metadata.langfuse_user_id",
		"gen_ai.user",
		"llm.user",
		"gen_ai.request.user",
		// Last resort only (§10.2): a pseudonymous id is still a stable end user.
		"enduser.pseudo.id",
	}
	builtinSessionKeys = []string{
		"langfuse.session.id",
		"session.id",
		"gen_ai.conversation.id",
		"traceloop.association.properties.session_id",
		"traceloop.association.properties.chat_id",
		"traceloop.association.properties.conversation_id",
		"traceloop.association.properties.thread_id",
		"ai.telemetry.metadata.sessionId",
		"ai.settings.context.sessionId",
		"langfuse.trace.metadata.langfuse_session_id",
		"langfuse.observation.metadata.langfuse_session_id",
		"gcp.vertex.agent.session_id",
	}
	builtinWorkflowKeys = []string{
		"gen_ai.workflow.name",
		"traceloop.workflow.name",
		"langfuse.trace.name",
		"ai.telemetry.functionId",
	}
	builtinRespModelKeys = []string{
		"gen_ai.response.model",
		"llm.response.model_name",
		"ai.response.model",
		"llm.model_name",
		"langfuse.observation.model.name",
	}
	builtinReqModelKeys = []string{
		"gen_ai.request.model",
		"llm.request.model_name",
		"ai.model.id",
		"llm.model_name",
		"model_name",
		"langfuse.observation.model.name",
		// OpenInference EMBEDDING spans name their model here (§3), after
		// every key of the reference list.
		"embedding.model_name",
	}
	builtinProviderKeys = []string{
		"gen_ai.provider.name",
		"gen_ai.system",
		"llm.provider",
		"llm.system",
		"ai.model.provider",
	}
	builtinInputKeys = []string{
		"gen_ai.usage.input_tokens",
		"gen_ai.usage.prompt_tokens",
		"llm.token_count.prompt",
		"ai.usage.inputTokens",
		"ai.usage.promptTokens",
	}
	builtinOutputKeys = []string{
		"gen_ai.usage.output_tokens",
		"gen_ai.usage.completion_tokens",
		"llm.token_count.completion",
		"ai.usage.outputTokens",
		"ai.usage.completionTokens",
	}
	builtinCacheReadKeys = []string{
		"gen_ai.usage.cache_read.input_tokens",
		"gen_ai.usage.cache_read_input_tokens",
		"llm.token_count.prompt_details.cache_read",
		"ai.usage.inputTokenDetails.cacheReadTokens",
		"ai.usage.cachedInputTokens",
		"gen_ai.usage.prompt_tokens_details.cached_tokens",
		"gen_ai.usage.details.cache_read_tokens",
	}
	builtinCacheWriteKeys = []string{
		"gen_ai.usage.cache_write.input_tokens",
		"gen_ai.usage.cache_creation.input_tokens",
		"gen_ai.usage.cache_creation_input_tokens",
		"gen_ai.usage.cache_write_input_tokens",
		"llm.token_count.prompt_details.cache_write",
		"ai.usage.inputTokenDetails.cacheWriteTokens",
		"gen_ai.usage.prompt_tokens_details.cache_creation_tokens",
		"gen_ai.usage.details.cache_write_tokens",
	}
	builtinReasoningKeys = []string{
		"gen_ai.usage.reasoning.output_tokens",
		"gen_ai.usage.reasoning_tokens",
		"llm.usage.reasoning_tokens",
		"llm.token_count.completion_details.reasoning",
		"ai.usage.outputTokenDetails.reasoningTokens",
		"ai.usage.reasoningTokens",
		"gen_ai.usage.completion_tokens_details.reasoning_tokens",
		// Pydantic AI's provider details (§7.1): the only place it reports reasoning.
		"gen_ai.usage.details.reasoning_tokens",
	}
	// Reported totals are only used when a span reports neither input nor
	// output (Vercel ai.embed: ai.usage.tokens), as its input.
	builtinTotalKeys = []string{
		"gen_ai.usage.total_tokens",
		"llm.usage.total_tokens",
		"llm.token_count.total",
		"ai.usage.totalTokens",
		"ai.usage.tokens",
	}
	// langfuse.observation.cost_details (JSON) comes first, see costValue.
	builtinCostKeys = []string{
		"llm.cost.total",
		"gen_ai.usage.cost",
		"gen_ai.cost.total_cost",
		"operation.cost",
		"gen_ai.usage.total_cost",
	}
	singleKeys = map[string]fieldID{
		"gen_ai.operation.name":                    sOp,
		"openinference.span.kind":                  sOIKind,
		"traceloop.span.kind":                      sTLKind,
		"traceloop.entity.name":                    sTLEntity,
		"llm.request.type":                         sLLMReqType,
		"langfuse.observation.type":                sLFType,
		"langfuse.observation.level":               sLFLevel,
		"ai.operationId":                           sAIOpID,
		"ai.telemetry.functionId":                  sFunctionID,
		"gen_ai.agent.name":                        sGenAIAgentName,
		"agent.name":                               sOIAgentName,
		"agent_name":                               sPydAgentName,
		"langfuse.observation.usage_details":       sLFUsage,
		"langfuse.observation.cost_details":        sLFCost,
		"ai.usage.inputTokenDetails.noCacheTokens": sNoCache,
		"server.address":                           sServerAddr,
	}
)

// Marker bits: which convention families a span's keys and values belong to.
const (
	mGenAI uint32 = 1 << iota
	mOpenInference
	mOpenLLMetry
	mVercel
	mLangfuse
	mLiteLLM
	mPydantic
	mStrands
	mADK
	mCrewAI
	mOpenLIT
)

// keyMarkers derives the marker bits of an attribute key from its family
// prefix. It runs once per known key when the Extractor is built and on every
// attribute key the table does not know.
func keyMarkers(k string) uint32 {
	if len(k) < 3 {
		return 0
	}
	switch k[0] {
	case 'g':
		switch {
		case strings.HasPrefix(k, "gen_ai.cost."):
			return mGenAI | mLiteLLM
		case strings.HasPrefix(k, "gen_ai.aggregated_usage."):
			return mGenAI | mPydantic
		case k == "gen_ai.usage.cost":
			return mGenAI | mOpenLIT
		case strings.HasPrefix(k, "gen_ai."):
			return mGenAI
		case strings.HasPrefix(k, "gcp.vertex.agent."):
			return mADK
		}
	case 'l':
		switch {
		case strings.HasPrefix(k, "langfuse."):
			return mLangfuse
		case strings.HasPrefix(k, "logfire."):
			return mPydantic
		case strings.HasPrefix(k, "llm."):
			return llmMarkers(k)
		}
	case 'o':
		switch {
		case strings.HasPrefix(k, "openinference."):
			return mOpenInference
		case k == "operation.cost":
			return mPydantic
		}
	case 'a':
		if strings.HasPrefix(k, "ai.") {
			return mVercel
		}
	case 't':
		if strings.HasPrefix(k, "traceloop.") {
			return mOpenLLMetry
		}
	case 'm':
		if strings.HasPrefix(k, "metadata.user_api_key") {
			return mLiteLLM
		}
	case 'c':
		if strings.HasPrefix(k, "crewai.") {
			return mCrewAI
		}
	case 'e':
		if strings.HasPrefix(k, "event_loop.") {
			return mStrands
		}
	case 'p':
		if strings.HasPrefix(k, "pydantic_ai.") {
			return mPydantic
		}
	}
	return 0
}

// llmMarkers splits the shared llm.* namespace between OpenInference and
// OpenLLMetry (<= 0.4) / LiteLLM.
func llmMarkers(k string) uint32 {
	rest := k[len("llm."):]
	for _, p := range [...]string{"token_count.", "cost.", "model_name", "system", "provider", "invocation_parameters",
		"input_messages", "output_messages", "prompt_template", "tools", "function_call", "request.model_name",
		"response.model_name", "finish_reason"} {
		if strings.HasPrefix(rest, p) {
			return mOpenInference
		}
	}
	return mOpenLLMetry
}

// providerMarkers flags framework names found in the provider slot (§9.5).
func providerMarkers(v string) uint32 {
	switch {
	case strings.EqualFold(v, "strands-agents"):
		return mStrands
	case strings.EqualFold(v, "gcp.vertex.agent"):
		return mADK
	case strings.EqualFold(v, "crewai"):
		return mCrewAI
	}
	return 0
}

// detectConvention names the span's convention from its scope, markers and
// name (§10.5). Framework scopes and markers win over the instrumentation
// families they are built on.
func detectConvention(scope, name string, m uint32) string {
	switch {
	case scope == "":
	case scope == "gcp.vertex.agent" || strings.HasPrefix(scope, "google.adk") || strings.HasPrefix(scope, "google_adk"):
		return ConvGoogleADK
	case strings.HasPrefix(scope, "pydantic-ai") || strings.HasPrefix(scope, "pydantic_ai") || strings.HasPrefix(scope, "logfire"):
		return ConvPydanticAI
	case strings.HasPrefix(scope, "litellm"):
		return ConvLiteLLM
	case strings.HasPrefix(scope, "strands"):
		return ConvStrands
	case strings.HasPrefix(scope, "openlit"):
		return ConvOpenLIT
	case strings.Contains(scope, "crewai"):
		return ConvCrewAI
	case strings.HasPrefix(scope, "langfuse"):
		return ConvLangfuse
	case strings.Contains(scope, "openinference"):
		return ConvOpenInference
	case strings.Contains(scope, "traceloop"):
		return ConvOpenLLMetry
	case scope == "ai" || scope == "gen_ai" || strings.HasPrefix(scope, "@ai-sdk/"):
		// "ai": AI SDK v4-v6 and v7 LegacyOpenTelemetry; "gen_ai": v7 @ai-sdk/otel.
		return ConvVercelAI
	}
	switch {
	case m&mADK != 0:
		return ConvGoogleADK
	case m&mStrands != 0 || name == "execute_event_loop_cycle":
		return ConvStrands
	case m&mPydantic != 0:
		return ConvPydanticAI
	case m&mLiteLLM != 0 || name == "litellm_request":
		return ConvLiteLLM
	case m&mCrewAI != 0 || name == "crewai.workflow":
		return ConvCrewAI
	case m&mOpenLIT != 0:
		return ConvOpenLIT
	case m&mLangfuse != 0:
		return ConvLangfuse
	case m&mOpenInference != 0:
		return ConvOpenInference
	case m&mVercel != 0:
		return ConvVercelAI
	case m&mOpenLLMetry != 0:
		return ConvOpenLLMetry
	case m&mGenAI != 0:
		return ConvOTelGenAI
	}
	return ConvOther
}

// Provider normalisation (§10.2), keyed by lower-case value.
var providerAliases = map[string]string{
	"anthropic":            "anthropic",
	"openai":               "openai",
	"az.ai.openai":         "azure.ai.openai",
	"az.ai.inference":      "azure.ai.inference",
	"azure":                "azure.ai.openai",
	"azure-openai":         "azure.ai.openai",
	"azure.ai.openai":      "azure.ai.openai",
	"azure.ai.inference":   "azure.ai.inference",
	"vertex_ai":            "gcp.vertex_ai",
	"vertexai":             "gcp.vertex_ai",
	"google.vertex":        "gcp.vertex_ai",
	"gcp.vertex_ai":        "gcp.vertex_ai",
	"gemini":               "gcp.gemini",
	"google.generative-ai": "gcp.gemini",
	"gcp.gemini":           "gcp.gemini",
	"google":               "gcp.gen_ai",
	"gcp.gen_ai":           "gcp.gen_ai",
	"aws":                  "aws.bedrock",
	"bedrock":              "aws.bedrock",
	"amazon-bedrock":       "aws.bedrock",
	"amazon":               "aws.bedrock",
	"aws.bedrock":          "aws.bedrock",
	"mistralai":            "mistral_ai",
	"mistral":              "mistral_ai",
	"mistral_ai":           "mistral_ai",
	"xai":                  "x_ai",
	"x_ai":                 "x_ai",
	"watsonx":              "ibm.watsonx.ai",
	"ibm.watsonx.ai":       "ibm.watsonx.ai",
	"cohere":               "cohere",
	"deepseek":             "deepseek",
	"groq":                 "groq",
	"perplexity":           "perplexity",
	"moonshot_ai":          "moonshot_ai",
}

// Framework names that appear in the provider slot but are no provider (§9.5).
var deniedProviders = [...]string{"strands-agents", "gcp.vertex.agent", "crewai", "microsoft.agent_framework", "langchain"}

func providerDenied(v string) bool {
	for _, d := range deniedProviders {
		if strings.EqualFold(v, d) {
			return true
		}
	}
	return false
}

// normalizeProvider maps a provider value to the gen_ai.provider.name
// vocabulary. AI SDK ids such as "openai.chat" or "google.vertex.chat" are cut
// at dots from the right until a known name matches. firstSegment (for
// ai.model.provider) keeps only the part before the first dot when nothing
// matches. It returns "" for deny-listed values.
func normalizeProvider(v string, firstSegment bool) string {
	if v == "" || providerDenied(v) {
		return ""
	}
	lv := v
	if hasUpper(v) {
		lv = strings.ToLower(v)
	}
	for s := lv; ; {
		if p, ok := providerAliases[s]; ok {
			return p
		}
		i := strings.LastIndexByte(s, '.')
		if i <= 0 {
			break
		}
		s = s[:i]
		if providerDenied(s) {
			return ""
		}
	}
	if firstSegment {
		if i := strings.IndexByte(lv, '.'); i > 0 {
			return lv[:i]
		}
	}
	return lv
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// providerFromHost maps well-known API hosts (server.address) to providers.
func providerFromHost(h string) string {
	switch {
	case h == "":
		return ""
	case h == "api.openai.com":
		return "openai"
	case h == "api.anthropic.com":
		return "anthropic"
	case strings.HasSuffix(h, ".openai.azure.com"):
		return "azure.ai.openai"
	case strings.HasSuffix(h, ".models.ai.azure.com") || strings.HasSuffix(h, ".services.ai.azure.com"):
		return "azure.ai.inference"
	case h == "generativelanguage.googleapis.com":
		return "gcp.gemini"
	case strings.HasSuffix(h, "aiplatform.googleapis.com"):
		return "gcp.vertex_ai"
	case strings.HasPrefix(h, "bedrock-runtime.") || strings.HasPrefix(h, "bedrock."):
		return "aws.bedrock"
	case h == "api.mistral.ai":
		return "mistral_ai"
	case h == "api.groq.com":
		return "groq"
	case h == "api.deepseek.com":
		return "deepseek"
	case h == "api.x.ai":
		return "x_ai"
	case h == "api.cohere.com" || h == "api.cohere.ai":
		return "cohere"
	case h == "api.perplexity.ai":
		return "perplexity"
	case h == "api.moonshot.ai" || h == "api.moonshot.cn":
		return "moonshot_ai"
	}
	return ""
}

// providerFromModel infers a provider from a model name (§10.2, last resort).
func providerFromModel(m string) string {
	if m == "" {
		return ""
	}
	// LiteLLM-style "provider/model".
	if i := strings.IndexByte(m, '/'); i > 0 {
		if m[:i] == "models" { // Gemini "models/gemini-..."
			return providerFromModel(m[i+1:])
		}
		if p := normalizeProvider(m[:i], false); p != "" {
			if _, known := providerAliases[p]; known || p == "azure.ai.openai" {
				return p
			}
		}
	}
	lm := m
	if hasUpper(m) {
		lm = strings.ToLower(m)
	}
	// Bedrock model ids: "anthropic.claude-...", "us.anthropic.claude-...".
	if strings.Contains(lm, "anthropic.claude") || strings.HasPrefix(lm, "amazon.") || strings.HasPrefix(lm, "meta.llama") {
		return "aws.bedrock"
	}
	for _, p := range modelPrefixes {
		if strings.HasPrefix(lm, p.prefix) {
			return p.provider
		}
	}
	return ""
}

var modelPrefixes = [...]struct{ prefix, provider string }{
	{"text-embedding-004", "gcp.gemini"}, {"text-embedding-005", "gcp.gemini"},
	{"gpt-", "openai"}, {"chatgpt", "openai"}, {"o1", "openai"}, {"o3", "openai"}, {"o4", "openai"},
	{"text-embedding-", "openai"}, {"davinci", "openai"}, {"babbage", "openai"}, {"dall-e", "openai"},
	{"whisper", "openai"}, {"tts-", "openai"}, {"omni-moderation", "openai"},
	{"claude", "anthropic"},
	{"gemini", "gcp.gemini"},
	{"mistral", "mistral_ai"}, {"mixtral", "mistral_ai"}, {"codestral", "mistral_ai"}, {"ministral", "mistral_ai"},
	{"pixtral", "mistral_ai"}, {"magistral", "mistral_ai"},
	{"command", "cohere"}, {"embed-english", "cohere"}, {"embed-multilingual", "cohere"},
	{"grok", "x_ai"},
	{"deepseek", "deepseek"},
	{"sonar", "perplexity"},
	{"kimi", "moonshot_ai"}, {"moonshot", "moonshot_ai"},
}
