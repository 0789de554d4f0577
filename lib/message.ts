import { catalog, type GatewayErrorCode } from './catalog'
import { redactString } from './redact'

/** The catalog message, made specific when the details name the subject (`message: subject`). */
export function messageFor (code: GatewayErrorCode, details: unknown): string {
  const entry = catalog[code]
  if (details === undefined || details === null || typeof details !== 'object' || entry.subject === undefined) {
    return entry.message
  }
  let subject: string | undefined
  try {
    subject = (entry.subject as (details: unknown) => string | undefined)(details)
  } catch {
    return entry.message // details of the wrong shape from a JavaScript caller
  }
  return typeof subject === 'string' && subject !== '' ? `${entry.message}: ${redactString(subject, 300)}` : entry.message
}
