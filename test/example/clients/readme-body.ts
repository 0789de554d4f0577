// Client SDKs build their own bodies from a prompt; the README's requests add fields to them.
import type { Test } from 'tap'
import { catalog, sendableCodes, type GatewayErrorCode } from '../../internals'
import { requests, type ExampleRequest, type Gateway } from '../gateway-harness'

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

/**
 * Runs `check` for every code the README reaches with a chat completion, with its request, its
 * catalog entry and the gateway's count of that code's replies before the call.
 */
export async function eachChatCode (t: Test, gateway: Gateway,
  check: (code: GatewayErrorCode, request: ExampleRequest, entry: { status: number, retryable: boolean, message: string }, before: number) => Promise<void>): Promise<void> {
  const codes = sendableCodes.filter((code) => isChatRequest(requests[code] as ExampleRequest))
  t.ok(codes.length >= 35, `${codes.length} codes come from chat completions`)
  for (const code of codes) await check(code, requests[code] as ExampleRequest, catalog[code], gateway.attempts(code))
}
