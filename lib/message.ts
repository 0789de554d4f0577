// The message of a reply: the catalog message, made specific by the details, then any client words.
import { catalog, type GatewayErrorCode } from './catalog'
import { detailsCheck } from './details-check'
import { redactString } from './redact'

/**
 * The catalog message, made specific when the details name the subject (`message: subject`), then
 * the words clients match on, if the code has any. Details that do not match the code's schema (a
 * field missing, of the wrong type) give no subject: no "undefined" in a message.
 */
export function messageFor (code: GatewayErrorCode, details: unknown): string {
  const entry = catalog[code]
  const subject = subjectOf(code, details)
  const specific = subject === undefined ? entry.clientWords : entry.clientWords === undefined ? subject : `${subject}; ${entry.clientWords}`
  return specific === undefined ? entry.message : `${entry.message}: ${specific}`
}

function subjectOf (code: GatewayErrorCode, details: unknown): string | undefined {
  const entry = catalog[code]
  if (details === undefined || details === null || typeof details !== 'object' || entry.subject === undefined) return undefined
  try {
    if (!detailsCheck(code).Check(details)) return undefined
    const subject = (entry.subject as (details: unknown) => string | undefined)(details)
    return typeof subject === 'string' && subject !== '' ? redactString(subject, 300) : undefined
  } catch {
    return undefined // details of the wrong shape from a JavaScript caller: a getter that throws
  }
}
