'use strict'
// LangChain JS retries by status alone (a 500 `internal_error` included) and ignores the gateway's
// `x-should-retry`. Pass this as `onFailedAttempt` to ChatOpenAI or ChatAnthropic to retry exactly
// what the gateway says is worth retrying:
//   new ChatOpenAI({ model, configuration: { baseURL }, maxRetries: 2, onFailedAttempt: gatewayRetryPolicy })
// Throwing stops LangChain's retries; returning lets it retry after its back-off.

/** @param {any} error */
function gatewayRetryPolicy (error) {
  if (error?.name === 'AbortError') throw error
  const headers = error?.headers
  const verdict = typeof headers?.get === 'function' ? headers.get('x-should-retry') : headers?.['x-should-retry']
  if (verdict === 'false') throw error
  if (verdict === 'true') return
  // No verdict (another server, no answer at all): retry a timeout, a rate limit or a server error.
  const status = error?.status
  if (typeof status === 'number' && status !== 408 && status !== 429 && status < 500) throw error
}

module.exports = { gatewayRetryPolicy }
