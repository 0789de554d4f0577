// The message of a reply: the catalog message, made specific by the details, then any client words.
import { catalogEntries, type CatalogEntry, type CatalogOf, type GatewayErrorCode } from './catalog'
import { detailsCheck } from './details-check'
import { redactString } from '../upstream/redact'

/**
 * The catalog message, made specific when the details name the subject (`message: subject`), then
 * the words clients match on, if the code has any. Details that do not match the code's schema (a
 * field missing, of the wrong type) give no subject: no "undefined" in a message.
 */
export function messageFor (code: GatewayErrorCode, details: unknown, source: CatalogOf = catalogEntries): string {
  const entry = source[code]
  const subject = subjectOf(entry, code, details)
  const specific = subject === undefined
    ? entry.clientWords
    : entry.clientWords === undefined
      ? subject
      : `${subject}; ${entry.clientWords}`
  return specific === undefined ? entry.message : `${entry.message}: ${specific}`
}

function subjectOf (entry: CatalogEntry, code: GatewayErrorCode, details: unknown): string | undefined {
  if (details === undefined || details === null || typeof details !== 'object' || entry.subject === undefined) {
    return undefined
  }
  try {
    if (!detailsCheck(code, entry).Check(details)) return undefined
    const subject = (entry.subject as (details: unknown) => string | undefined)(details)
    return typeof subject === 'string' && subject !== '' ? redactString(subject, 300) : undefined
  } catch {
    return undefined // details of the wrong shape from a JavaScript caller: a getter that throws
  }
}
