// The compiled check of each code's details schema, built on first use and kept.
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { catalog, type GatewayErrorCode } from './catalog'

const checks = new Map<GatewayErrorCode, TypeCheck<any>>()

export function detailsCheck (code: GatewayErrorCode): TypeCheck<any> {
  let check = checks.get(code)
  if (check === undefined) {
    check = TypeCompiler.Compile(catalog[code].details)
    checks.set(code, check)
  }
  return check
}
