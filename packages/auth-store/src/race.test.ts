// Cross-process safety of the file driver, with real child processes running the built package.
import { type ChildProcess, spawn } from 'node:child_process'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sampleAuth } from './_conformance'
import { makeTempDir } from './_test-helpers'
import { createFileAuthStore } from './drivers/file'
import type { StoredAuth } from './types'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

// What writer `id` stores on its `i`-th write; sizes vary so a torn write could not parse as another.
function payload(id: string, i: number): StoredAuth {
  return sampleAuth(`${id}-${i}`, {
    tokens: {
      id_token: `id-${id}-${i}`,
      access_token: `access-${id}-${i}-${'x'.repeat((i * 997) % 6000)}`,
      refresh_token: `rt-${id}-${i}-${'é'.repeat((i * 31) % 300)}`,
      account_id: `acct-${id}`,
    },
  })
}

// The child imports the built package; for 'set' it stores, in order, the payloads of a JSON file.
const CHILD = `
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
const [bundle, dataDir, mode, arg] = process.argv.slice(2)
const { createFileAuthStore } = await import(pathToFileURL(bundle).href)
const store = createFileAuthStore({ dataDir, lock: { timeoutMs: 60000 } })
if (mode === 'set') {
  for (const auth of JSON.parse(readFileSync(arg, 'utf8'))) await store.set('default', auth)
} else if (mode === 'update') {
  for (let i = 0; i < Number(arg); i++) {
    await store.update('default', (current) => ({
      ...current,
      tokens: { ...current.tokens, access_token: String(Number(current.tokens.access_token) + 1) },
    }))
  }
} else if (mode === 'hold') {
  await store.update('default', () => {
    process.stdout.write('locked\\n')
    return new Promise(() => {})
  })
}
`

let tools: { dir: string; cleanup: () => Promise<void> }
let bundle: string
let child: string

beforeAll(async () => {
  tools = await makeTempDir('airelays-auth-race-')
  await build({
    entry: { index: join(packageDir, 'src/index.ts') },
    outDir: tools.dir,
    format: ['esm'],
    target: 'node20',
    dts: false,
    config: false,
    silent: true,
    sourcemap: false,
    clean: false,
    splitting: false,
  })
  bundle = join(tools.dir, 'index.js')
  child = join(tools.dir, 'child.mjs')
  await writeFile(child, CHILD)
})
afterAll(async () => {
  await tools?.cleanup()
})

function run(args: string[]): {
  proc: ChildProcess
  done: Promise<number | null>
  stdout: () => string
  stderr: () => string
} {
  const proc = spawn(process.execPath, [child, bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const done = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)))
  return { proc, done, stdout: () => out, stderr: () => err }
}

describe('file driver across processes', () => {
  let dataDir: string
  let cleanup: () => Promise<void>
  const children: ChildProcess[] = []
  beforeEach(async () => {
    const temp = await makeTempDir()
    cleanup = temp.cleanup
    dataDir = join(temp.dir, 'data')
  })
  afterEach(async () => {
    for (const proc of children.splice(0))
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    await cleanup()
  })

  it('two writers x 200 writes never leave a torn or mixed auth.json', async () => {
    const writes = 200
    const expected = new Set<string>()
    const lists: string[] = []
    for (const id of ['a', 'b']) {
      const list = Array.from({ length: writes }, (_, i) => payload(id, i))
      for (const auth of list) expected.add(JSON.stringify(auth))
      const listFile = join(tools.dir, `payloads-${id}-${Date.now()}.json`)
      await writeFile(listFile, JSON.stringify(list))
      lists.push(listFile)
    }
    const writers = lists.map((listFile) => run([dataDir, 'set', listFile]))
    children.push(...writers.map((w) => w.proc))
    let running = true
    const finished = Promise.all(writers.map((w) => w.done)).finally(() => {
      running = false
    })
    const file = join(dataDir, 'auth.json')
    let reads = 0
    // Bounded by the writers' lifetime (and a hard cap on iterations).
    for (let n = 0; running && n < 1_000_000; n++) {
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') continue
        throw error
      }
      const parsed: unknown = JSON.parse(text)
      expect(expected.has(JSON.stringify(parsed))).toBe(true)
      reads++
    }
    const codes = await finished
    expect(codes, writers.map((w) => w.stderr()).join('\n')).toEqual([0, 0])
    expect(reads).toBeGreaterThan(0)
    const last = JSON.stringify(await createFileAuthStore({ dataDir }).get('default'))
    expect([JSON.stringify(payload('a', writes - 1)), JSON.stringify(payload('b', writes - 1))]).toContain(
      last,
    )
    expect(await readdir(dataDir)).toEqual(['auth.json'])
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('update() from two processes loses no increment (2 x 100)', async () => {
    const store = createFileAuthStore({ dataDir })
    await store.set(
      'default',
      sampleAuth('count', { tokens: { ...sampleAuth('c').tokens, access_token: '0' } }),
    )
    const workers = [run([dataDir, 'update', '100']), run([dataDir, 'update', '100'])]
    children.push(...workers.map((w) => w.proc))
    const codes = await Promise.all(workers.map((w) => w.done))
    expect(codes, workers.map((w) => w.stderr()).join('\n')).toEqual([0, 0])
    expect((await store.get('default'))?.tokens.access_token).toBe('200')
    expect(await readdir(dataDir)).toEqual(['auth.json'])
  })

  it('takes over the lock of a process that died holding it', async () => {
    const store = createFileAuthStore({ dataDir, lock: { timeoutMs: 10_000 } })
    await store.set('default', sampleAuth('before'))
    const holder = run([dataDir, 'hold', ''])
    children.push(holder.proc)
    for (let i = 0; i < 400 && !holder.stdout().includes('locked'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    expect(holder.stdout()).toContain('locked')
    const lockFile = join(dataDir, 'auth.json.lock')
    expect(JSON.parse(await readFile(lockFile, 'utf8'))).toMatchObject({ pid: holder.proc.pid })
    holder.proc.kill('SIGKILL')
    await holder.done
    expect(await store.update('default', () => sampleAuth('after'))).toEqual(sampleAuth('after'))
    expect(await readdir(dataDir)).toEqual(['auth.json'])
  })
})
