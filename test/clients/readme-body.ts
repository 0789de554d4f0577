// Client SDKs build their own bodies from a prompt; the README's requests add fields to them.

/**
 * A fetch that sends the README request's body on top of what the SDK builds from the prompt
 * (without a model when the README's request has none).
 */
export function withBody (readme: Record<string, unknown> | undefined): typeof fetch {
  return async (input, init) => {
    if (readme === undefined || typeof init?.body !== 'string') return fetch(input, init)
    const body: Record<string, unknown> = { ...JSON.parse(init.body), ...readme }
    if (readme.model === undefined) delete body.model
    return fetch(input, { ...init, body: JSON.stringify(body) })
  }
}

/** The README requests a chat completion client sends: POST, JSON, not streamed. */
export function isChatRequest (request: { path: string, method: string, raw?: string, body?: Record<string, unknown> }): boolean {
  return request.path === '/v1/chat/completions' && request.method === 'POST' && request.raw === undefined && request.body?.stream !== true
}
