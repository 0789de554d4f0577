'use strict'
// The success-path app for bench/instructions.js, run under callgrind: prints its port.
const { successApp } = require('./success-app')

const app = successApp(process.argv[2])
app.listen({ port: 0, host: '127.0.0.1' }).then(() => console.log(`PORT ${app.server.address().port}`))
process.on('SIGTERM', () => process.exit(0))
