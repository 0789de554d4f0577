// Content checks before a request reaches a provider: moderation flags (which the router matches
// against each provider's filter) and a guardrail, answered with the gateway's own code.
import { GatewayError } from 'fastify-gateway-errors'

declare module 'fastify' {
  interface GatewayErrorExtraCodes {
    guardrail_blocked: { policy?: string }
  }
}

/** The code of the gateway's own, registered through the plugin's `extraCodes`. */
export const extraCodes = {
  guardrail_blocked: { status: 403, message: 'Blocked by a guardrail policy', param: 'messages' }
}

const MODERATION: Record<string, RegExp> = { violence: /\b(kill|attack|weapon)s?\b/i }
const PROMPT_INJECTION = /ignore (?:all )?previous instructions/i

export function createGuard () {
  return {
    contentFlags (content: unknown): string[] {
      const text = JSON.stringify(content ?? '')
      return Object.entries(MODERATION).filter(([, pattern]) => pattern.test(text)).map(([flag]) => flag)
    },
    check (content: unknown) {
      if (PROMPT_INJECTION.test(JSON.stringify(content))) throw new GatewayError('guardrail_blocked', { policy: 'prompt_injection' })
    }
  }
}

export type Guard = ReturnType<typeof createGuard>
