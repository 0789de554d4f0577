'use strict'
// A child process serving the success-path app (`plain`: no plugin), reporting its own CPU time
// on request so the parent can divide by the requests it sent.
const { successApp } = require('./success-app')

const app = successApp(process.argv[2])
app.listen({ port: 0, host: '127.0.0.1' }).then(() => process.send({ port: app.server.address().port }))
process.on('message', () => {
  const { user, system } = process.cpuUsage()
  process.send({ cpuMicros: user + system })
})
process.on('disconnect', () => app.close().then(() => process.exit(0)))
