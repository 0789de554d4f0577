// Codes of the gateway's own (`extraCodes`), checked at register time, then added to the catalog so
// that they work wherever a catalog code does: replies, GatewayError, every envelope, the schemas
// and the OpenAPI document, route `codes`, onGatewayError and the docs pages.
import { catalog, codes, entry, sendableCodes, statuses, type CatalogEntry, type ExtraCodeDefinition, type OpenAIErrorType } from './catalog'
import { addSchemaTitles } from './envelopes'
import { fail } from './options'
import { resolveAdded } from './resolved'
import { refreshSchemas } from './schemas'

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/
const TYPES: readonly OpenAIErrorType[] = [
  'invalid_request_error', 'authentication_error', 'permission_error', 'rate_limit_exceeded', 'insufficient_quota', 'server_error'
]
const FIELDS = new Set(['status', 'message', 'type', 'retryable', 'param'])

// Codes added in this process, with their definitions: the same definition may come twice (two
// apps, or a test's fresh instance), a different one may not.
const added = new Map<string, string>()

function check (code: string, value: unknown): ExtraCodeDefinition {
  const where = `option 'extraCodes': '${code}'`
  if (!SNAKE_CASE.test(code)) fail(`${where} must be snake_case, e.g. guardrail_blocked`)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${where} must be an object: { status, message }`)
  const definition = value as Record<string, unknown>
  const unknown = Object.keys(definition).filter((field) => !FIELDS.has(field))
  if (unknown.length > 0) fail(`${where} has unknown fields: ${unknown.join(', ')}`)
  const { status, message, type, retryable, param } = definition
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) fail(`${where}: status must be an integer from 400 to 599`)
  if (typeof message !== 'string' || message.trim() === '') fail(`${where}: message must be a non-empty string`)
  if (type !== undefined && !TYPES.includes(type as OpenAIErrorType)) fail(`${where}: type must be one of ${TYPES.join(', ')}`)
  if (retryable !== undefined && typeof retryable !== 'boolean') fail(`${where}: retryable must be a boolean`)
  if (param !== undefined && typeof param !== 'string') fail(`${where}: param must be a string`)
  return { status, message, type: type as OpenAIErrorType | undefined, retryable: retryable as boolean | undefined, param: param as string | undefined }
}

/**
 * Adds a code of the gateway's own to the catalog, for the whole process, as if it had been
 * written there; its details are open. Called at register time, before anything derived is used.
 */
function addToCatalog (code: string, definition: ExtraCodeDefinition): void {
  const added = entry({ ...definition, retryable: definition.retryable ?? definition.status >= 500, details: {} })
  ;(catalog as Record<string, CatalogEntry>)[code] = added as CatalogEntry
  ;(codes as string[]).push(code)
  ;(sendableCodes as string[]).push(code)
  if (!(statuses as number[]).includes(definition.status)) {
    ;(statuses as number[]).push(definition.status)
    ;(statuses as number[]).sort((a, b) => a - b)
  }
}

/** Checks every definition first, then adds the new ones: a refused option adds nothing. */
export function addExtraCodes (extraCodes: Record<string, unknown>): void {
  const fresh: Array<[string, ExtraCodeDefinition]> = []
  for (const [code, value] of Object.entries(extraCodes)) {
    const definition = check(code, value)
    const fingerprint = JSON.stringify(definition)
    const earlier = added.get(code)
    if (earlier === fingerprint) continue
    if (earlier !== undefined) fail(`option 'extraCodes': '${code}' is already defined differently in this process`)
    if (Object.hasOwn(catalog, code)) fail(`option 'extraCodes': '${code}' is a catalog code; give yours another name`)
    fresh.push([code, definition])
  }
  if (fresh.length === 0) return
  for (const [code, definition] of fresh) {
    addToCatalog(code, definition)
    added.set(code, JSON.stringify(definition))
    resolveAdded(code as never)
  }
  refreshSchemas()
  addSchemaTitles()
}
