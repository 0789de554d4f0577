// The routing vocabulary: what a request needs, and what a provider offers. Plain data, no Fastify.

/** The API surface a request arrives on. */
export type Endpoint = 'chat' | 'responses' | 'messages' | 'completions' | 'embeddings' | (string & {})

export interface RequestFeatures {
  tools?: boolean
  /** `tool_choice: "required"` */
  toolChoiceRequired?: boolean
  /** `response_format: { type: "json_schema" }` */
  structuredOutput?: boolean
  /** `response_format: { type: "json_object" }` */
  jsonMode?: boolean
  /** Image input. */
  vision?: boolean
  /** Audio output (`modalities: ["audio"]`). */
  audioOutput?: boolean
  /** Reasoning / extended thinking requested. */
  reasoning?: boolean
  /** Thinking explicitly disabled (`reasoning_effort: "none"`). */
  disableThinking?: boolean
  /** Hosted (server-side) tools: web_search, file_search, code_interpreter, … */
  hostedTools?: readonly string[]
}

export interface RequestLimits {
  /** Highest acceptable price, in USD per million tokens. */
  maxPrice?: number
  /** Highest acceptable time to first token, in ms. */
  maxLatencyMs?: number
  /** Lowest acceptable throughput, in tokens per second. */
  minThroughput?: number
  /** Tokens the request needs in the context window (prompt plus requested completion). */
  contextTokens?: number
}

export interface RequestPolicy {
  /** Only these providers may serve the request. */
  allow?: readonly string[]
  /** These providers may not. */
  block?: readonly string[]
  /** Only the caller's own provider keys may be used. */
  byokOnly?: boolean
  /** Tiers the caller opted into, e.g. `priority`. */
  tiers?: readonly string[]
}

export interface RequestProfile {
  model: string
  endpoint: Endpoint
  stream: boolean
  /** Submitted as a batch job rather than in real time. */
  batch?: boolean
  features: RequestFeatures
  /** Parameters every chosen provider must honour (OpenRouter's `require_parameters`). */
  requiredParams?: readonly string[]
  limits: RequestLimits
  policy: RequestPolicy
  /** Content categories a moderation pass flagged in the request. */
  contentFlags?: readonly string[]
  /** Which request fields hold what, for `param` in errors (defaults follow the Chat Completions API). */
  fields?: Partial<Record<'messages' | 'reasoning', string>>
}

export interface ProviderCapabilities {
  tools?: boolean
  toolChoiceRequired?: boolean
  structuredOutput?: boolean
  /** Tools and structured output in the same request (defaults to having both). */
  toolsWithStructuredOutput?: boolean
  jsonMode?: boolean
  vision?: boolean
  audioOutput?: boolean
  reasoning?: boolean
  disableThinking?: boolean
  /** Default true. */
  streaming?: boolean
  /** Default true; false for models that only stream. */
  nonStreaming?: boolean
  hostedTools?: readonly string[]
  /** Parameters it honours, for requests that require them. */
  params?: readonly string[]
}

export interface ProviderDescription {
  name: string
  /** Endpoints it serves for this model; default `['chat']`. */
  endpoints?: readonly Endpoint[]
  supports: ProviderCapabilities
  /** USD per million tokens. */
  price?: number
  latencyMs?: number
  throughput?: number
  contextWindow?: number
  /** Default true; false when it is down right now. */
  available?: boolean
  /** When it is expected back, if known. */
  retryAfterMs?: number
  /** Which keys can reach it: the gateway's own, and the caller's. */
  keys?: { platform?: boolean, byok?: boolean }
  /** A tier the caller must opt into, e.g. `priority`. */
  tier?: string
  /** Serves batch jobs only. */
  batchOnly?: boolean
  /** Content categories its filter rejects. */
  contentFilter?: readonly string[]
}

export interface ModelDescription {
  id: string
  /** Default true; false while the model itself is withdrawn or in maintenance. */
  available?: boolean
  retryAfterMs?: number
  providers: readonly ProviderDescription[]
}
