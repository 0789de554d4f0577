'use strict'
// The apps bench/instructions.js counts, run under callgrind: prints its port. `errors` is the
// error-path app of `npm run bench` (plugin), `hand-written` the same hand-written reply without the
// plugin, `thrown-floor` the least a thrown error costs without it; any other kind is the success-path app.
const { successApp } = require('./success-app')
const { pluginApp, handWrittenApp, thrownFloorApp } = require('./apps')

const kind = process.argv[2]
const apps = { errors: pluginApp, 'hand-written': handWrittenApp, 'thrown-floor': thrownFloorApp }
const app = apps[kind]?.() ?? successApp(kind)
app.listen({ port: 0, host: '127.0.0.1' }).then(() => console.log(`PORT ${app.server.address().port}`))
process.on('SIGTERM', () => process.exit(0))
