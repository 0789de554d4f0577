// The token counts a provider reports inside its event stream, in one shape: OpenAI's final chunk
// (`stream_options.include_usage`), Anthropic's `message_start` and `message_delta`, Gemini's
// `usageMetadata`. Read once, when a stream's delivery record is taken, never per event.

/** Token counts the provider reported; a later report overrides an earlier one, field by field. */
export interface StreamUsage {
  inputTokens?: number
  outputTokens?: number
  totalTokens?: number
}

type Counts = Record<string, unknown>

const FIELDS: ReadonlyArray<readonly [keyof StreamUsage, readonly string[]]> = [
  ['inputTokens', ['prompt_tokens', 'input_tokens', 'promptTokenCount']],
  ['outputTokens', ['completion_tokens', 'output_tokens', 'candidatesTokenCount']],
  ['totalTokens', ['total_tokens', 'totalTokenCount']]
]

function countsOf (event: unknown): Counts | undefined {
  if (event === null || typeof event !== 'object') return undefined
  const root = event as { usage?: unknown, usageMetadata?: unknown, message?: { usage?: unknown } | null }
  const counts = root.usage ?? root.usageMetadata ?? root.message?.usage
  return counts !== null && typeof counts === 'object' ? counts as Counts : undefined
}

/** Merges the usage reported in `text` (SSE events) into `usage`. */
export function addUsage (usage: StreamUsage, text: string): void {
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (!line.startsWith('data:') || !line.includes('sage')) continue
    let counts: Counts | undefined
    try {
      counts = countsOf(JSON.parse(line.slice(5)))
    } catch {
      continue
    }
    if (counts === undefined) continue
    for (const [field, names] of FIELDS) {
      for (const name of names) {
        const value = counts[name]
        if (typeof value === 'number' && Number.isFinite(value) && value >= 0) usage[field] = value
      }
    }
  }
}

/** The usage reported across `texts`, or undefined when none was. */
export function usageOf (texts: readonly string[]): StreamUsage | undefined {
  const usage: StreamUsage = {}
  for (const text of texts) addUsage(usage, text)
  return Object.keys(usage).length === 0 ? undefined : usage
}
