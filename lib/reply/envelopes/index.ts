// The envelopes by name, and the schema titles they give (GatewayError404, AnthropicError5xx, …).
import type { ResponseKey } from '../../catalog/catalog'
import { anthropicEnvelope } from './anthropic'
import type { Envelope, EnvelopeName } from './envelope'
import { openAIEnvelope } from './openai'
import { problemEnvelope } from './problem'

export const envelopes: Readonly<Record<EnvelopeName, Envelope>> = {
  openai: openAIEnvelope,
  anthropic: anthropicEnvelope,
  problem: problemEnvelope
}

export const envelopeNames = Object.keys(envelopes) as EnvelopeName[]

/**
 * Every title the plugin can give a schema (GatewayError404, AnthropicError5xx, …), for any status
 * an app's codes may have: its envelope and key.
 */
export const schemaTitles = new Map<string, { envelope: Envelope, key: ResponseKey }>()
for (const envelope of Object.values(envelopes)) {
  for (let status = 400; status <= 599; status++) {
    schemaTitles.set(
      envelope.schemaId(status as ResponseKey),
      { envelope, key: status as ResponseKey }
    )
  }
  for (const range of ['4xx', '5xx'] as const) schemaTitles.set(envelope.schemaId(range), { envelope, key: range })
}

export function isEnvelopeName (value: unknown): value is EnvelopeName {
  return typeof value === 'string' && Object.hasOwn(envelopes, value)
}

export type { Envelope, EnvelopeName, ErrorInstance, ResolvedEntry } from './envelope'
