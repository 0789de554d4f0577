// The compiled check of each code's details schema, built on first use and kept.
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { catalog, type CatalogEntry, type GatewayErrorCode } from './catalog'

const checks = new Map<GatewayErrorCode, TypeCheck<any>>()

/** An app's own codes (`extraCodes`) share one open details schema: their checks are keyed by code too. */
export function detailsCheck (
  code: GatewayErrorCode,
  entry: Pick<CatalogEntry,
  'details'> = catalog[code]
): TypeCheck<any> {
  let check = checks.get(code)
  if (check === undefined) {
    check = TypeCompiler.Compile(entry.details)
    checks.set(code, check)
  }
  return check
}
