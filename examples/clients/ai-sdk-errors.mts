// The Vercel AI SDK (5–7) and the gateway's catalog codes. The SDK keeps a code in different places
// by error kind, and `streamText` never throws: an error before the first token leaves `textStream`
// empty (only `await result.text` throws, NoOutputGeneratedError, with no status or code); an error
// midway ends it with the partial text and `finishReason: 'error'`. Read the code from `onError`.
import { APICallError, NoOutputGeneratedError, RetryError, streamText, type LanguageModel } from 'ai'

/** The gateway's catalog code in any error the AI SDK raised; undefined when there is none. */
export function catalogCode (error: unknown): string | undefined {
  if (RetryError.isInstance(error)) return catalogCode(error.lastError)
  if (NoOutputGeneratedError.isInstance(error)) return catalogCode(error.cause)
  if (APICallError.isInstance(error)) {
    // the reply's body: `error.code` in both envelopes (`error.details.error_code` too in Anthropic's)
    try {
      const code = JSON.parse(error.responseBody ?? '')?.error?.code
      return typeof code === 'string' ? code : undefined
    } catch {
      return undefined
    }
  }
  // a stream's error event: the providers keep its `error.code` (StreamProviderError and its kin)
  const code = (error as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

export interface StreamedAnswer {
  text: string
  /** Set when the stream failed, before or after its first token. */
  failure?: { code: string | undefined, error: unknown }
}

/** Streams an answer; a failure comes back with its catalog code instead of vanishing. */
export async function streamWithCatalogCode (model: LanguageModel, prompt: string): Promise<StreamedAnswer> {
  let failure: StreamedAnswer['failure']
  const result = streamText({
    model,
    prompt,
    maxRetries: 0,
    onError: ({ error }) => { failure = { code: catalogCode(error), error } }
  })
  let text = ''
  for await (const delta of result.textStream) text += delta
  return failure === undefined ? { text } : { text, failure }
}
