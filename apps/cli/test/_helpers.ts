import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeTempDir } from '@airelays/test-utils'
import type { UpstreamEmulator } from '@airelays/upstream-emulator'

/** apps/cli */
export const CLI_DIR: string = fileURLToPath(new URL('..', import.meta.url))
/** The built bin the tests run. */
export const BIN: string = join(CLI_DIR, 'bin', 'airelays.mjs')

/** An isolated home for one test: HOME, XDG_CONFIG_HOME and the data dir live in a temp dir. */
export interface Sandbox {
  dir: string
  home: string
  dataDir: string
  configPath: string
  /** The isolated environment, optionally pointing at an emulator, plus `extra`. */
  env(extra?: Record<string, string | undefined>): Record<string, string>
  cleanup(): Promise<void>
}

export async function createSandbox(emulator?: UpstreamEmulator): Promise<Sandbox> {
  const { dir, cleanup } = await makeTempDir('airelays-cli-test-')
  const home = join(dir, 'home')
  const dataDir = join(dir, 'data')
  const configHome = join(home, '.config')
  return {
    dir,
    home,
    dataDir,
    configPath: join(configHome, 'airelays', 'config.toml'),
    env(extra = {}) {
      // Built from scratch: nothing from the outer environment (AIRELAYS_*, proxies, DISPLAY,
      // SSH_*) leaks into the CLI under test.
      const env: Record<string, string | undefined> = {
        PATH: process.env.PATH,
        HOME: home,
        XDG_CONFIG_HOME: configHome,
        AIRELAYS_DATA_DIR: dataDir,
        AIRELAYS_AUTH_STORAGE: 'file',
        NO_COLOR: '1',
        ...(emulator
          ? { AIRELAYS_UPSTREAM_BASE_URL: emulator.backendUrl, AIRELAYS_ISSUER_BASE_URL: emulator.url }
          : {}),
        ...extra,
      }
      return Object.fromEntries(
        Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
      )
    },
    cleanup,
  }
}

/** Result of a finished CLI run. */
export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A running `airelays` child process. */
export class CliProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<CliResult>
  readonly #waiters = new Set<() => void>()

  constructor(args: readonly string[], env: Record<string, string>, nodeArgs: readonly string[] = []) {
    this.child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd: CLI_DIR, env, stdio: 'pipe' })
    running.add(this)
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk
      for (const waiter of this.#waiters) waiter()
    })
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk
      for (const waiter of this.#waiters) waiter()
    })
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        running.delete(this)
        for (const waiter of this.#waiters) waiter()
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })
      })
    })
  }

  /** Resolves with the first match of `pattern` in stdout (or stderr with `stream`), bounded in time. */
  waitFor(
    pattern: RegExp,
    options: { stream?: 'stdout' | 'stderr'; timeoutMs?: number } = {},
  ): Promise<RegExpMatchArray> {
    const stream = options.stream ?? 'stdout'
    const timeoutMs = options.timeoutMs ?? 20_000
    return new Promise((resolve, reject) => {
      let exited = false
      void this.exited.then(() => {
        exited = true
      })
      const check = (): void => {
        const match = (stream === 'stdout' ? this.stdout : this.stderr).match(pattern)
        if (match) {
          done()
          resolve(match)
        } else if (exited) {
          done()
          reject(
            new Error(
              `process exited before ${pattern} appeared.\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
            ),
          )
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(
          new Error(`timed out waiting for ${pattern}.\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`),
        )
      }, timeoutMs)
      const done = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
      }
      this.#waiters.add(check)
      check()
    })
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }
}

const running = new Set<CliProcess>()

/** Kills every child still running (call in afterEach) and waits until they are gone. */
export async function killAll(): Promise<void> {
  const left = [...running]
  for (const process of left) process.kill('SIGKILL')
  await Promise.all(left.map((process) => process.exited))
}

/** Runs `airelays …args` to completion (killed after `timeoutMs`). */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; nodeArgs?: readonly string[] } = {},
): Promise<CliResult> {
  const child = new CliProcess(args, env, options.nodeArgs)
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  try {
    return await child.exited
  } finally {
    clearTimeout(timer)
  }
}

/** Runs the CLI and parses its stdout as JSON. */
export async function runJson<T = Record<string, unknown>>(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ result: CliResult; json: T }> {
  const result = await runCli(args, env)
  let json: T
  try {
    json = JSON.parse(result.stdout) as T
  } catch {
    throw new Error(
      `stdout is not JSON (exit ${result.code}).\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    )
  }
  return { result, json }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Binds `port` on 127.0.0.1 and releases it again; rejects when it is taken. */
export function bindOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()))
  })
}
