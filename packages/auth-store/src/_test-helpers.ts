// Helpers shared by this package's tests (never exported from the package).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KeyringEntry, KeyringModule } from './types'

export async function makeTempDir(
  prefix = 'airelays-auth-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Octal permission bits of a mode, e.g. 0o600. */
export function permissions(mode: number): number {
  return mode & 0o777
}

export interface FakeKeyring {
  module: KeyringModule
  /** `${service}\u0000${account}` -> password */
  entries: Map<string, string>
  /** Every call, as `op service account`. */
  calls: string[]
  /** Makes every later call fail with this message (null: work again). */
  failWith: string | null
  /** Makes only setPassword on this service fail (null: none). */
  failSetOn: string | null
}

/** An in-memory stand-in for @napi-rs/keyring, injected through `loadKeyring`. */
export function createFakeKeyring(): FakeKeyring {
  const fake: FakeKeyring = {
    entries: new Map(),
    calls: [],
    failWith: null,
    failSetOn: null,
    module: undefined as unknown as KeyringModule,
  }
  class FakeEntry implements KeyringEntry {
    readonly #key: string
    readonly #label: string
    readonly #service: string
    constructor(service: string, account: string) {
      this.#key = `${service}\u0000${account}`
      this.#label = `${service} ${account}`
      this.#service = service
    }
    #check(op: string): void {
      fake.calls.push(`${op} ${this.#label}`)
      if (fake.failWith !== null) throw new Error(fake.failWith)
    }
    async getPassword(): Promise<string | null> {
      this.#check('get')
      return fake.entries.get(this.#key) ?? null
    }
    async setPassword(password: string): Promise<void> {
      this.#check('set')
      if (fake.failSetOn === this.#service) throw new Error('Platform failure: cannot store here')
      fake.entries.set(this.#key, password)
    }
    async deletePassword(): Promise<boolean> {
      this.#check('delete')
      return fake.entries.delete(this.#key)
    }
  }
  fake.module = { AsyncEntry: FakeEntry }
  return fake
}

export type Availability = { available: true; reason: null } | { available: false; reason: string }

/**
 * Whether a real Secret Service (or the platform keychain) accepts a set/get/delete round trip on a
 * throwaway service, through @napi-rs/keyring.
 */
export async function detectRealKeychain(): Promise<Availability> {
  let timer: NodeJS.Timeout | undefined
  try {
    const { AsyncEntry } = await import('@napi-rs/keyring')
    const entry = new AsyncEntry(`airelays-test-probe-${randomBytes(6).toString('hex')}`, 'probe', {
      linux: { store: 'secret-service' },
    })
    const roundTrip = (async () => {
      await entry.setPassword('probe-value')
      const value = await entry.getPassword()
      await entry.deletePassword()
      return value
    })()
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000)
    })
    const value = await Promise.race([roundTrip, timeout])
    if (value !== 'probe-value')
      return { available: false, reason: 'the keychain returned a different value' }
    return { available: true, reason: null }
  } catch (error) {
    return { available: false, reason: error instanceof Error ? error.message : String(error) }
  } finally {
    clearTimeout(timer)
  }
}

export function commandWorks(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 })
  return result.status === 0
}

export interface SecretToolResult {
  status: number | null
  stdout: string
}

/** Runs `secret-tool` (libsecret-tools) against the current D-Bus session. */
export function secretTool(args: string[], input?: string): SecretToolResult {
  const result = spawnSync('secret-tool', args, { input, encoding: 'utf8', timeout: 10_000 })
  return { status: result.status, stdout: result.stdout ?? '' }
}
