import { createHash } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeKeyring, makeTempDir } from './_test-helpers'
import {
  accountSlug,
  accountsSignature,
  accountsSignatureSync,
  chooseLoginSlot,
  listAccounts,
  readAccountOrder,
  removeAccount,
  reorderAccounts,
  resolveAccount,
  writeAccountOrder,
} from './accounts'
import { credentialStoreFor } from './credential-store'
import { createFileAuthStore } from './drivers/file'
import { createKeychainAuthStore } from './drivers/keychain'
import { createMemoryAuthStore } from './drivers/memory'
import { isAuthStoreError } from './errors'
import type { AuthStore, StoredAuth } from './types'

function jwt(payload: Record<string, unknown>): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${part({ alg: 'none' })}.${part(payload)}.sig`
}

/** A login as the issuer mints it: identity in the id token, the account id in `tokens`. */
function login(email: string, accountId: string, plan = 'plus', refresh = `rt_${accountId}`): StoredAuth {
  const claims = {
    email,
    'https://api.openai.com/auth': { chatgpt_account_id: accountId, chatgpt_plan_type: plan },
  }
  return {
    bound_account_id: accountId,
    tokens: {
      id_token: jwt(claims),
      access_token: jwt(claims),
      refresh_token: refresh,
      account_id: accountId,
    },
    last_refresh: '2026-11-24T03:30:00.000Z',
  }
}

function sha10(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10)
}

async function code(promise: Promise<unknown> | (() => unknown)): Promise<string | null> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
    return null
  } catch (error) {
    return isAuthStoreError(error) ? error.code : 'not-an-AuthStoreError'
  }
}

describe('accountSlug', () => {
  it('is the sanitised e-mail local part plus 10 hex of sha256(account id)', () => {
    expect(accountSlug('Work.Me+x@corp.example', 'acct_1')).toBe(`work-me-x-${sha10('acct_1')}`)
    expect(accountSlug('dev@example.com', null)).toBe(`dev-${sha10('dev@example.com')}`)
  })

  it('never yields a path separator, a dot directory or an empty base', () => {
    for (const email of ['../../etc@x', '.hidden@x', '@x', '', '___@x', 'a/b\\c@x']) {
      const slug = accountSlug(email, 'acct')
      expect(slug).toMatch(/^[a-z0-9][a-z0-9-]*-[0-9a-f]{10}$/)
    }
    expect(accountSlug(null, 'acct')).toBe(`account-${sha10('acct')}`)
  })
})

describe('listAccounts with file storage', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let store: AuthStore
  beforeEach(async () => {
    ;({ dir, cleanup } = await makeTempDir('airelays-accounts-'))
    store = createFileAuthStore({ dataDir: dir })
  })
  afterEach(async () => cleanup())

  it('lists the legacy root first, then accounts/<slug>, with identity from the tokens', async () => {
    await store.set('default', login('me@home.example', 'acct_home', 'plus'))
    await store.set('work-aaaa', login('me@work.example', 'acct_work', 'business'))
    const { accounts, problems } = await listAccounts({ store, dataDir: dir })
    expect(problems).toEqual([])
    expect(
      accounts.map((a) => [a.position, a.slot, a.slug, a.email, a.plan, a.accountId, a.legacyRoot]),
    ).toEqual([
      [
        1,
        'default',
        accountSlug('me@home.example', 'acct_home'),
        'me@home.example',
        'plus',
        'acct_home',
        true,
      ],
      [2, 'work-aaaa', 'work-aaaa', 'me@work.example', 'business', 'acct_work', false],
    ])
  })

  it('skips slots without tokens and keeps one slot per upstream account', async () => {
    await store.set('default', login('a@x.example', 'acct_a'))
    await store.set('b-1', login('a@x.example', 'acct_a')) // same account again
    const empty = login('c@x.example', 'acct_c')
    empty.tokens.access_token = ''
    empty.tokens.refresh_token = ''
    await store.set('c-1', empty)
    await mkdir(join(dir, 'accounts', '.staging-123'), { recursive: true })
    await writeFile(join(dir, 'accounts', '.staging-123', 'auth.json'), JSON.stringify(login('s@x', 's')))
    const { accounts } = await listAccounts({ store, dataDir: dir })
    expect(accounts.map((a) => a.slot)).toEqual(['default'])
  })

  it('follows manifest.json order, unknown slugs last, and reports unreadable slots', async () => {
    await store.set('default', login('a@x.example', 'acct_a'))
    await store.set('b-1', login('b@x.example', 'acct_b'))
    await store.set('c-1', login('c@x.example', 'acct_c'))
    await writeAccountOrder(dir, ['c-1', accountSlug('a@x.example', 'acct_a'), 'gone-1'])
    await mkdir(join(dir, 'accounts', 'broken-1'), { recursive: true })
    await writeFile(join(dir, 'accounts', 'broken-1', 'auth.json'), '{not json')
    const { accounts, problems } = await listAccounts({ store, dataDir: dir })
    expect(accounts.map((a) => [a.position, a.slot])).toEqual([
      [1, 'c-1'],
      [2, 'default'],
      [3, 'b-1'],
    ])
    expect(problems).toEqual([expect.objectContaining({ slot: 'broken-1', code: 'auth_file_corrupt' })])
    expect(JSON.parse(await readFile(join(dir, 'accounts', 'manifest.json'), 'utf8'))).toEqual({
      order: ['c-1', accountSlug('a@x.example', 'acct_a'), 'gone-1'],
    })
  })

  it('ignores a broken manifest instead of failing', async () => {
    await store.set('default', login('a@x.example', 'acct_a'))
    await mkdir(join(dir, 'accounts'), { recursive: true })
    await writeFile(join(dir, 'accounts', 'manifest.json'), '[oops')
    expect(await readAccountOrder(dir)).toEqual([])
    expect((await listAccounts({ store, dataDir: dir })).accounts).toHaveLength(1)
  })

  it('reads a Python data dir with two accounts as it is', async () => {
    const python = (auth: StoredAuth): string =>
      // Python's json.dumps(indent=2) layout, no trailing newline.
      JSON.stringify(auth, null, 2)
    const home = login('home@x.example', 'acct_home')
    const work = login('work@corp.example', 'acct_work', 'team')
    const workSlug = accountSlug('work@corp.example', 'acct_work')
    await writeFile(join(dir, 'auth.json'), python(home), { mode: 0o600 })
    await mkdir(join(dir, 'accounts', workSlug), { recursive: true })
    await writeFile(join(dir, 'accounts', workSlug, 'auth.json'), python(work), { mode: 0o600 })
    await writeFile(join(dir, 'accounts', 'manifest.json'), JSON.stringify({ order: [workSlug] }))
    const { accounts } = await listAccounts({ store, dataDir: dir })
    expect(accounts.map((a) => [a.slug, a.email, a.auth.tokens.refresh_token])).toEqual([
      [workSlug, 'work@corp.example', 'rt_acct_work'],
      [accountSlug('home@x.example', 'acct_home'), 'home@x.example', 'rt_acct_home'],
    ])
  })

  it('removeAccount deletes the slot directory and its manifest entry, never the root directory', async () => {
    await store.set('default', login('a@x.example', 'acct_a'))
    await store.set('b-1', login('b@x.example', 'acct_b'))
    await writeAccountOrder(dir, ['b-1', accountSlug('a@x.example', 'acct_a')])
    const { accounts } = await listAccounts({ store, dataDir: dir })
    expect(await removeAccount({ store, dataDir: dir, account: resolveAccount(accounts, 'b@') })).toBe(true)
    await expect(stat(join(dir, 'accounts', 'b-1'))).rejects.toThrow()
    expect(await readAccountOrder(dir)).toEqual([accountSlug('a@x.example', 'acct_a')])
    expect(
      await removeAccount({ store, dataDir: dir, account: resolveAccount(accounts, 'a@x.example') }),
    ).toBe(true)
    expect((await stat(dir)).isDirectory()).toBe(true)
    expect((await listAccounts({ store, dataDir: dir })).accounts).toEqual([])
  })

  it('accountsSignature changes when a slot is added, rewritten, removed or reordered', async () => {
    const seen = new Set<string>([await accountsSignature(dir)])
    const record = async (): Promise<void> => {
      const signature = await accountsSignature(dir)
      expect(accountsSignatureSync(dir)).toBe(signature)
      expect(seen.has(signature)).toBe(false)
      seen.add(signature)
    }
    await store.set('default', login('a@x.example', 'acct_a'))
    await record()
    await store.set('b-1', login('b@x.example', 'acct_b'))
    await record()
    await store.set('b-1', login('b@x.example', 'acct_b', 'plus', 'rt_rotated_with_another_length'))
    await record()
    await writeAccountOrder(dir, ['b-1'])
    await record()
    await store.delete('b-1')
    await record()
    expect(await accountsSignature(dir)).toBe(await accountsSignature(dir))
  })

  it('update() through the slot adapter never loses a rotated refresh token', async () => {
    await store.set('b-1', login('b@x.example', 'acct_b', 'plus', 'rt_0'))
    const a = credentialStoreFor(createFileAuthStore({ dataDir: dir }), 'b-1')
    const b = credentialStoreFor(createFileAuthStore({ dataDir: dir }), 'b-1')
    // Two holders rotate in turn, each deriving the next token from what is stored under the lock.
    const rotate = (s: typeof a) =>
      s.update((current) =>
        current === null
          ? undefined
          : {
              ...current,
              tokens: {
                ...current.tokens,
                refresh_token: `rt_${Number(current.tokens.refresh_token.slice(3)) + 1}`,
              },
            },
      )
    await Promise.all([rotate(a), rotate(b), rotate(a), rotate(b), rotate(a), rotate(b)])
    expect((await store.get('b-1'))?.tokens.refresh_token).toBe('rt_6')
  })
})

describe('account slots in keychain mode', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({ dir, cleanup } = await makeTempDir('airelays-accounts-kc-'))
  })
  afterEach(async () => cleanup())

  it('finds a keychain slot by its directory and writes no auth.json', async () => {
    const fake = createFakeKeyring()
    const store = createKeychainAuthStore({ dataDir: dir, loadKeyring: async () => fake.module })
    await store.set('default', login('a@x.example', 'acct_a'))
    await store.set('b-1', login('b@x.example', 'acct_b'))
    expect((await stat(join(dir, 'accounts', 'b-1'))).isDirectory()).toBe(true)
    await expect(stat(join(dir, 'accounts', 'b-1', 'auth.json'))).rejects.toThrow()
    const { accounts } = await listAccounts({ store, dataDir: dir })
    expect(accounts.map((a) => [a.slot, a.email])).toEqual([
      ['default', 'a@x.example'],
      ['b-1', 'b@x.example'],
    ])
    await removeAccount({ store, dataDir: dir, account: accounts[1] as (typeof accounts)[number] })
    expect((await listAccounts({ store, dataDir: dir })).accounts.map((a) => a.slot)).toEqual(['default'])
  })
})

describe('selectors and placement', () => {
  let store: AuthStore
  beforeEach(async () => {
    store = createMemoryAuthStore()
    await store.set('default', login('alice@home.example', 'acct_1'))
    await store.set('alice-work-1', login('alice@work.example', 'acct_2'))
    await store.set('bob-1', login('bob@work.example', 'acct_3'))
  })

  it('resolves exact e-mail (any case) or slug first, then a unique e-mail prefix', async () => {
    const { accounts } = await listAccounts({ store })
    expect(resolveAccount(accounts, 'ALICE@work.example').slot).toBe('alice-work-1')
    expect(resolveAccount(accounts, 'bob-1').slot).toBe('bob-1')
    expect(resolveAccount(accounts, 'bo').slot).toBe('bob-1')
    expect(resolveAccount(accounts, 'alice@h').slot).toBe('default')
  })

  it('says which accounts an ambiguous or unknown selector could mean', async () => {
    const { accounts } = await listAccounts({ store })
    expect(() => resolveAccount(accounts, 'alice')).toThrow(
      '`alice` matches 2 accounts: alice@home.example, alice@work.example. Type more of the email.',
    )
    expect(await code(() => resolveAccount(accounts, 'alice'))).toBe('account_ambiguous')
    expect(() => resolveAccount(accounts, 'carol')).toThrow(
      'Unknown account `carol`. Known accounts: alice@home.example, alice@work.example, bob@work.example.',
    )
    expect(await code(() => resolveAccount(accounts, 'carol'))).toBe('account_unknown')
    expect(() => resolveAccount([], 'x')).toThrow('Unknown account `x`. Known accounts: (none).')
  })

  it('places a login: replace slot, same account in place, root when empty, else a new slot', async () => {
    const { accounts } = await listAccounts({ store })
    expect(chooseLoginSlot(accounts, login('bob@work.example', 'acct_3'))).toEqual({
      slot: 'bob-1',
      slug: 'bob-1',
      action: 'refreshed',
    })
    expect(chooseLoginSlot([], login('x@y.example', 'acct_9'))).toEqual({
      slot: 'default',
      slug: accountSlug('x@y.example', 'acct_9'),
      action: 'first',
    })
    const added = chooseLoginSlot(accounts, login('carol@x.example', 'acct_4'))
    expect(added).toEqual({
      slot: accountSlug('carol@x.example', 'acct_4'),
      slug: accountSlug('carol@x.example', 'acct_4'),
      action: 'added',
    })
    const replaced = chooseLoginSlot(
      accounts,
      login('carol@x.example', 'acct_4'),
      resolveAccount(accounts, 'bob'),
    )
    expect(replaced).toEqual({ slot: 'bob-1', slug: 'bob-1', action: 'replaced' })
  })

  it('reorders: named accounts first, the others keep their order', async () => {
    const { accounts } = await listAccounts({ store })
    expect(reorderAccounts(accounts, ['bob', 'alice@work.example'])).toEqual([
      'bob-1',
      'alice-work-1',
      accountSlug('alice@home.example', 'acct_1'),
    ])
    expect(await code(() => reorderAccounts(accounts, ['nobody']))).toBe('account_unknown')
  })
})
