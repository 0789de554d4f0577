// When every attempt failed, the one code the caller gets: the most useful to act on.
import type { GatewayErrorCode } from '../../catalog/catalog'
import type { ResolvedRule } from './policy'

export interface Failure {
  code: GatewayErrorCode
  details: Record<string, unknown> | undefined
  rule: ResolvedRule
  /** The wait the provider stated, in ms. */
  wait: number | undefined
}

/**
 * The rule, in order:
 * 1. a code the caller must fix (one every candidate would give: a bad request, a bad key) — the first;
 * 2. a refusal of what the request asks for (a capability, the context window), when no candidate
 *    failed for any other reason — the first, since no provider can serve the request as it is;
 * 3. among provider faults, the one with the soonest stated wait (its wait becomes `retry-after`);
 * 4. otherwise the last provider fault.
 */
export function finalFailure (failures: readonly Failure[]): Failure | undefined {
  const callers = failures.filter((failure) => failure.rule.then === 'stop')
  if (callers.length > 0) return callers[0]
  const faults = failures.filter((failure) => !failure.rule.capable)
  if (faults.length === 0) return failures[0]
  let soonest: Failure | undefined
  for (const fault of faults) {
    if (fault.wait !== undefined && (soonest === undefined || fault.wait < (soonest.wait as number))) soonest = fault
  }
  return soonest ?? faults[faults.length - 1]
}
