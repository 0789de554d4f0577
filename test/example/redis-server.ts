// A real redis-server for the tests: on 127.0.0.1, a port of its own, data in a temporary
// directory (append-only file, so a restart keeps what was written), stopped at the end.
// `.ci/run` installs Debian's redis-server; elsewhere, without it, the Redis tests are skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const redisAvailable = spawnSync('redis-server', ['--version']).status === 0

/** Why the Redis tests cannot run here, or false. CI must run them: there a missing server fails. */
export const skipRedis: string | false = redisAvailable || process.env.CI !== undefined
  ? false
  : 'redis-server is not installed (apt-get install redis-server); CI installs it'

export interface RedisServer {
  url: string
  stop: () => Promise<void>
  /** Starts it again, on the same port with the same data. */
  start: () => Promise<void>
  /** Stops it and removes its directory. */
  remove: () => Promise<void>
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function accepting (port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.end(); resolve(true) })
      socket.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`redis-server did not start on port ${port}`)
}

export async function startRedisServer (): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-redis-'))
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'yes', '--loglevel', 'warning'
    ], { stdio: 'ignore' })
    await accepting(port, Date.now() + 10_000)
  }
  const stop = async () => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null) return
    await new Promise((resolve) => { running.once('exit', resolve); running.kill('SIGTERM') })
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    remove: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
