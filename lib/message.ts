import { catalog, type GatewayErrorCode } from './catalog'
import { detailsCheck } from './details-check'
import { redactString } from './redact'

/**
 * The catalog message, made specific when the details name the subject (`message: subject`).
 * Details that do not match the code's schema (a field missing, of the wrong type) leave the
 * catalog message as it is: no "undefined" in a message.
 */
export function messageFor (code: GatewayErrorCode, details: unknown): string {
  const entry = catalog[code]
  if (details === undefined || details === null || typeof details !== 'object' || entry.subject === undefined) {
    return entry.message
  }
  let subject: string | undefined
  try {
    if (!detailsCheck(code).Check(details)) return entry.message
    subject = (entry.subject as (details: unknown) => string | undefined)(details)
  } catch {
    return entry.message // details of the wrong shape from a JavaScript caller: a getter that throws
  }
  return typeof subject === 'string' && subject !== '' ? `${entry.message}: ${redactString(subject, 300)}` : entry.message
}
