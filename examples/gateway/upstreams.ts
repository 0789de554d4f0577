// Fake providers on 127.0.0.1, each behaving as its name says: ok, garbage, hang, stream-fails,
// slow-stream (its tokens 300 ms apart), limited (a 429 with a wait of 100 ms, every time),
// limited-once (that 429 on every other call), small-context (a window smaller than it claims).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

function completion (model: string, content: string) {
  return { id: 'chatcmpl-demo', object: 'chat.completion', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } }
}

function chunk (model: string, content: string | undefined, finish: string | null = null) {
  return `data: ${JSON.stringify({ id: 'chatcmpl-demo', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }] })}\n\n`
}

export interface Upstreams {
  url: string
  close: () => Promise<void>
}

export function startUpstreams (): Promise<Upstreams> {
  let limitedOnce = 0
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (data) => { raw += data })
    req.on('end', () => {
      const behaviour = (req.url ?? '/').split('/')[1]
      let body: { model?: string, stream?: boolean } = {}
      try { body = JSON.parse(raw) } catch {}
      const model = body.model ?? 'demo'
      if (behaviour === 'hang') return // never answers
      if (behaviour === 'small-context') {
        res.writeHead(400, { 'content-type': 'application/json' })
        const message = `This model's maximum context length is 1024 tokens. However, your messages resulted in ${1024 + raw.length} tokens.`
        return res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } }))
      }
      if (behaviour === 'limited' || (behaviour === 'limited-once' && limitedOnce++ % 2 === 0)) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '100' })
        return res.end(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }))
      }
      if (behaviour === 'garbage') {
        res.writeHead(200, { 'content-type': 'text/html' })
        return res.end('<html><body>502 Bad Gateway <!-- upstream-internal-trace --></body></html>')
      }
      if (body.stream === true && behaviour === 'slow-stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        const tokens = ['Hello', ' from', ' a slow upstream.']
        const next = (): void => {
          if (res.destroyed) return
          const token = tokens.shift()
          if (token !== undefined) {
            res.write(chunk(model, token))
            setTimeout(next, 300)
            return
          }
          res.write(`data: ${JSON.stringify({ id: 'chatcmpl-demo', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } })}\n\n`)
          res.end('data: [DONE]\n\n')
        }
        return next()
      }
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(chunk(model, 'Hello'))
        res.write(chunk(model, ' from'))
        if (behaviour === 'stream-fails') return setTimeout(() => req.socket.destroy(), 20)
        res.write(chunk(model, ' the demo upstream.'))
        res.write(chunk(model, undefined, 'stop'))
        // as OpenAI sends it with stream_options.include_usage
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-demo', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } })}\n\n`)
        return res.end('data: [DONE]\n\n')
      }
      if (behaviour === 'stream-fails') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' })
        res.write('{"id":"chatcmpl-demo","choi')
        return setTimeout(() => req.socket.destroy(), 20)
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(completion(model, 'Hello from the demo upstream.')))
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  })))
}
