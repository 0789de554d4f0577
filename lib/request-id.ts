// The request id as it is sent: in headers and bodies. Ids come from Fastify's genReqId (which
// an app may base on an incoming header); anything that cannot be a header value is dropped.
const SAFE_HEADER_VALUE = /^[\x21-\x7e]{1,128}$/
const UNSAFE = /[^\x21-\x7e]/g

export function headerSafeId (id: unknown): string {
  if (typeof id === 'string' && SAFE_HEADER_VALUE.test(id)) return id
  let text: string
  try {
    text = String(id)
  } catch {
    return 'unknown' // a genReqId that returned a hostile object
  }
  return SAFE_HEADER_VALUE.test(text) ? text : text.slice(0, 512).replace(UNSAFE, '').slice(0, 128) || 'unknown'
}
