'use strict'
// A child process serving one of the bench apps on 127.0.0.1, so load generation and the server do
// not share a thread. Prints the port.
const { pluginApp, baselineApp } = require('./apps')

const app = process.argv[2] === 'baseline' ? baselineApp() : pluginApp()
app.listen({ port: 0, host: '127.0.0.1' }).then(() => {
  process.send({ port: app.server.address().port })
})
process.on('message', (message) => {
  if (message === 'heap') {
    global.gc?.()
    process.send({ heapMB: process.memoryUsage().heapUsed / 2 ** 20, rssMB: process.memoryUsage().rss / 2 ** 20 })
  }
})
process.on('disconnect', () => app.close().then(() => process.exit(0)))
