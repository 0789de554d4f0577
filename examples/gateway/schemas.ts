// Request bodies as TypeBox schemas: validated by Fastify, and typed in handlers through
// @fastify/type-provider-typebox. A value out of range is the plugin's invalid_parameter_value, a
// misspelt field unknown_field, a missing one missing_required_parameter.
import { Type } from '@sinclair/typebox'

/** A string from a list, as `enum` (TypeBox's documented pattern): its errors name the allowed values. */
function StringEnum<T extends string[]> (values: [...T]) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values })
}

const Messages = Type.Array(Type.Object({
  role: StringEnum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: Type.Optional(Type.Unknown())
}), { minItems: 1 })

export const Provider = Type.Object({
  only: Type.Optional(Type.Array(Type.String())),
  ignore: Type.Optional(Type.Array(Type.String())),
  max_price: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.Object({})])),
  max_latency: Type.Optional(Type.Number({ minimum: 0 })),
  min_throughput: Type.Optional(Type.Number({ minimum: 0 })),
  require_parameters: Type.Optional(Type.Boolean()),
  byok_only: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

export const ChatBody = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: Messages,
  stream: Type.Optional(Type.Boolean()),
  stream_options: Type.Optional(Type.Object({})),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
  top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
  max_completion_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
  seed: Type.Optional(Type.Integer()),
  stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  logprobs: Type.Optional(Type.Boolean()),
  top_logprobs: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
  frequency_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
  presence_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
  logit_bias: Type.Optional(Type.Object({})),
  tools: Type.Optional(Type.Array(Type.Object({ type: Type.String() }))),
  tool_choice: Type.Optional(Type.Unknown()),
  parallel_tool_calls: Type.Optional(Type.Boolean()),
  response_format: Type.Optional(Type.Object({ type: StringEnum(['text', 'json_object', 'json_schema']) })),
  modalities: Type.Optional(Type.Array(StringEnum(['text', 'audio']))),
  audio: Type.Optional(Type.Object({})),
  reasoning_effort: Type.Optional(StringEnum(['none', 'minimal', 'low', 'medium', 'high'])),
  web_search_options: Type.Optional(Type.Object({})),
  service_tier: Type.Optional(Type.String()),
  user: Type.Optional(Type.String()),
  metadata: Type.Optional(Type.Object({})),
  provider: Type.Optional(Provider)
}, { additionalProperties: false })

export const ResponsesBody = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Unknown(),
  stream: Type.Optional(Type.Boolean()),
  tools: Type.Optional(Type.Array(Type.Unknown())),
  reasoning: Type.Optional(Type.Object({})),
  text: Type.Optional(Type.Object({})),
  max_output_tokens: Type.Optional(Type.Integer({ minimum: 1 }))
})

export const MessagesBody = Type.Object({
  model: Type.String({ minLength: 1 }),
  max_tokens: Type.Integer({ minimum: 1 }),
  messages: Type.Array(Type.Unknown(), { minItems: 1 }),
  system: Type.Optional(Type.Unknown()),
  stream: Type.Optional(Type.Boolean()),
  tools: Type.Optional(Type.Array(Type.Object({ type: Type.Optional(Type.String()) }))),
  thinking: Type.Optional(Type.Object({ type: Type.Optional(Type.String()) })),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  provider: Type.Optional(Provider)
})

export const EmbeddingsBody = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Unknown()
})

export const ProjectBody = Type.Object({
  id: Type.String({ pattern: '^proj-[a-z0-9-]{1,40}$' }),
  name: Type.String({ minLength: 1, maxLength: 80 }),
  budget_usd: Type.Optional(Type.Number({ minimum: 0 }))
}, { additionalProperties: false })

export const ProjectPatch = Type.Object({
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
  created_at: Type.Optional(Type.Unknown()),
  budget_usd: Type.Optional(Type.Number({ minimum: 0 }))
}, { additionalProperties: false })

export const KeyBody = Type.Object({
  scopes: Type.Optional(Type.Array(Type.String())),
  rate_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 }))
}, { additionalProperties: false })

export const IdParams = Type.Object({ id: Type.String() })
