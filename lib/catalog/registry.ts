// The catalog one app replies with: the package's catalog and the app's own codes (`extraCodes`),
// with what is derived per code once (the resolved entries, the schemas). Built per registration
// and handed to the parts that need it; the package's catalog is frozen and shared.
import type { TObject } from '@sinclair/typebox'
import { fail } from '../options'
import type { ResolvedEntry } from '../reply/envelopes/envelope'
import {
  catalog, catalogEntries, codeListsOf, entry, type CatalogOf, type ExtraCodeDefinition, type GatewayErrorCode,
  type GatewayErrorStatus, type OpenAIErrorType, type ResponseKey
} from './catalog'
import { messageFor } from './message'

export interface Registry {
  readonly catalog: CatalogOf
  readonly codes: readonly GatewayErrorCode[]
  /** Codes written to the client (all but status 0). */
  readonly sendableCodes: readonly GatewayErrorCode[]
  readonly statuses: readonly GatewayErrorStatus[]
  /** Per code, everything about a reply that does not depend on the request. */
  readonly entries: Readonly<Record<GatewayErrorCode, ResolvedEntry>>
  /** The full schemas built for this registry, by id (see reply/schemas.ts). */
  readonly schemas: Map<string, TObject>
  has (code: unknown): code is GatewayErrorCode
  /** Whether a code's replies fall under a response key: its status, or its status's range. */
  inKey (code: GatewayErrorCode, key: ResponseKey): boolean
  codesFor (key: ResponseKey): GatewayErrorCode[]
}

type Mutable = { -readonly [K in keyof ResolvedEntry]: ResolvedEntry[K] }

function resolve (code: GatewayErrorCode, source: CatalogOf): ResolvedEntry {
  const { status, message, type, param, retryable, overload } = source[code]
  const resolved = {
    code,
    status,
    message,
    type,
    param,
    retryable,
    overload,
    plainMessage: messageFor(code, undefined, source),
    shouldRetry: retryable ? 'true' : 'false'
  } as Mutable
  if (retryable) {
    const unretryable: Mutable = { ...resolved, retryable: false, shouldRetry: 'false' }
    unretryable.unretryable = unretryable
    resolved.unretryable = Object.freeze(unretryable)
  } else {
    resolved.unretryable = resolved
  }
  return Object.freeze(resolved)
}

function createRegistry (source: CatalogOf): Registry {
  const { codes, sendableCodes, statuses } = codeListsOf(source)
  // No prototype: `entries[anything]` is an entry or undefined, never Object.prototype's members.
  const entries = Object.freeze(Object.assign(
    Object.create(null) as Record<GatewayErrorCode, ResolvedEntry>,
    Object.fromEntries(codes.map((code) => [code, resolve(code, source)]))
  ))
  const inKey = (code: GatewayErrorCode, key: ResponseKey): boolean => {
    const status = source[code].status
    return typeof key === 'number' ? status === key : status !== 0 && Math.floor(status / 100) === Number(key[0])
  }
  return {
    catalog: source,
    codes,
    sendableCodes,
    statuses,
    entries,
    schemas: new Map(),
    has: (code: unknown): code is GatewayErrorCode => typeof code === 'string' && Object.hasOwn(source, code),
    inKey,
    codesFor: (key) => sendableCodes.filter((code) => inKey(code, key))
  }
}

/** The package's catalog alone: what every app without codes of its own shares. */
export const baseRegistry = createRegistry(catalogEntries)

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/
const TYPES: readonly OpenAIErrorType[] = [
  'invalid_request_error', 'authentication_error', 'permission_error', 'rate_limit_exceeded', 'insufficient_quota',
  'server_error'
]
const FIELDS = new Set(['status', 'message', 'type', 'retryable', 'param'])

function check (code: string, value: unknown): ExtraCodeDefinition {
  const where = `option 'extraCodes': '${code}'`
  if (!SNAKE_CASE.test(code)) fail(`${where} must be snake_case, e.g. guardrail_blocked`)
  if (Object.hasOwn(catalog, code)) fail(`${where} is a catalog code; give yours another name`)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(`${where} must be an object: { status, message }`)
  }
  const definition = value as Record<string, unknown>
  const unknown = Object.keys(definition).filter((field) => !FIELDS.has(field))
  if (unknown.length > 0) fail(`${where} has unknown fields: ${unknown.join(', ')}`)
  const { status, message, type, retryable, param } = definition
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
    fail(`${where}: status must be an integer from 400 to 599`)
  }
  if (typeof message !== 'string' || message.trim() === '') fail(`${where}: message must be a non-empty string`)
  if (type !== undefined && !TYPES.includes(type as OpenAIErrorType)) {
    fail(`${where}: type must be one of ${TYPES.join(', ')}`)
  }
  if (retryable !== undefined && typeof retryable !== 'boolean') fail(`${where}: retryable must be a boolean`)
  if (param !== undefined && typeof param !== 'string') fail(`${where}: param must be a string`)
  return {
    status,
    message,
    type: type as OpenAIErrorType | undefined,
    retryable: retryable as boolean | undefined,
    param: param as string | undefined
  }
}

/**
 * The registry of one registration: the catalog, and the app's own codes checked and added as if
 * they had been written there (their details are open). Without codes of its own, the shared one.
 */
export function registryFor (extraCodes: Record<string, unknown> | undefined): Registry {
  const own = Object.entries(extraCodes ?? {})
  if (own.length === 0) return baseRegistry
  const added = own.map(([code, value]) => {
    const definition = check(code, value)
    return [
      code,
      Object.freeze(entry({ ...definition, retryable: definition.retryable ?? definition.status >= 500, details: {} }))
    ]
  })
  return createRegistry(Object.freeze({ ...catalogEntries, ...Object.fromEntries(added) }))
}
