// Several ChatGPT accounts: login adds one, logout and accounts select them, status shows them.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { accountSlug } from '@airelays/auth-store'
import { createUpstreamEmulator, type StoredAuth, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSandbox, killAll, runCli, runJson, type Sandbox } from './_helpers'

let emu: UpstreamEmulator
let box: Sandbox

const HOME = { accountId: 'acct_home', email: 'me@home.example', plan: 'plus' }
const WORK = { accountId: 'acct_work', email: 'me@work.example', plan: 'business' }
const WORK_SLUG = accountSlug(WORK.email, WORK.accountId)

beforeAll(async () => {
  emu = await createUpstreamEmulator({
    deviceInterval: 0.2,
    deviceAutoApproveAfterPolls: 1,
    accounts: [HOME, WORK],
  })
})
afterAll(async () => {
  await emu.close()
})
beforeEach(async () => {
  emu.reset()
  emu.setLoginAccount(null)
  box = await createSandbox(emu)
})
afterEach(async () => {
  await killAll()
  await box.cleanup()
})

async function writeSlot(dir: string, auth: StoredAuth): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'auth.json'), JSON.stringify(auth, null, 2), { mode: 0o600 })
}

/** A Python-style data dir: the first account at the root, the second under accounts/<slug>. */
async function twoAccounts(): Promise<void> {
  await writeSlot(box.dataDir, emu.storedAuth({ accountId: HOME.accountId }))
  await writeSlot(join(box.dataDir, 'accounts', WORK_SLUG), emu.storedAuth({ accountId: WORK.accountId }))
}

interface AccountsJson {
  accounts: {
    position: number
    email: string
    plan: string
    account_id: string
    slug: string
    authenticated: boolean
  }[]
  balance: string
}

describe('airelays login with accounts', () => {
  const device = { SSH_CONNECTION: '10.0.0.2 50000 10.0.0.1 22' }

  it('adds a second account in its own slot and never overwrites the first', async () => {
    emu.setLoginAccount(HOME.accountId)
    expect((await runCli(['login'], box.env(device))).code).toBe(0)
    const root = JSON.parse(await readFile(join(box.dataDir, 'auth.json'), 'utf8')) as StoredAuth
    emu.setLoginAccount(WORK.accountId)
    const second = await runCli(['login'], box.env(device))
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain(
      'Added me@work.example as account #2. Requests are spread over all 2 accounts (balance: balanced); each takes over when another hits its usage limit. A running relay picks this up within seconds.',
    )
    expect(second.stdout).toContain('airelays logout me@work.example')
    expect(JSON.parse(await readFile(join(box.dataDir, 'auth.json'), 'utf8'))).toEqual(root)
    expect((await stat(join(box.dataDir, 'accounts', WORK_SLUG, 'auth.json'))).mode & 0o777).toBe(0o600)
    // The same upstream account again is refreshed in place: still two accounts.
    const again = await runCli(['login'], box.env(device))
    expect(again.stdout).not.toContain('Added')
    const { json } = await runJson<AccountsJson>(['accounts', '--json'], box.env())
    expect(json.accounts.map((a) => [a.position, a.email, a.slug])).toEqual([
      [1, HOME.email, accountSlug(HOME.email, HOME.accountId)],
      [2, WORK.email, WORK_SLUG],
    ])
  })

  it('--replace must name an existing account, before any sign-in', async () => {
    await twoAccounts()
    const result = await runCli(['login', '--replace', 'nobody'], box.env(device))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'Unknown account `nobody`. Known accounts: me@home.example, me@work.example.',
    )
    expect(emu.requests.filter((r) => r.route === 'device_usercode')).toHaveLength(0)
  })
})

describe('airelays accounts', () => {
  it('lists the accounts with the balance mode, in --json and for humans', async () => {
    await twoAccounts()
    const { result, json } = await runJson<AccountsJson>(['accounts', '--json'], box.env())
    expect(result.code).toBe(0)
    expect(json).toEqual({
      accounts: [
        expect.objectContaining({
          position: 1,
          email: HOME.email,
          plan: 'plus',
          account_id: 'acct_home',
          authenticated: true,
        }),
        expect.objectContaining({ position: 2, email: WORK.email, plan: 'business', slug: WORK_SLUG }),
      ],
      balance: 'balanced',
    })
    const human = await runCli(['accounts'], box.env())
    expect(human.stdout).toContain('#1 me@home.example')
    expect(human.stdout).toContain('Balance: balanced.')
    expect(human.stdout).toContain('airelays logout --all')
  })

  it('says when nobody is signed in', async () => {
    const human = await runCli(['accounts', 'list'], box.env())
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('No OpenAI accounts are signed in yet.')
  })

  it('order writes manifest.json: the named accounts first', async () => {
    await twoAccounts()
    const result = await runCli(['accounts', 'order', 'me@work'], box.env())
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^Account order updated\./)
    const manifest = JSON.parse(await readFile(join(box.dataDir, 'accounts', 'manifest.json'), 'utf8'))
    expect(manifest).toEqual({ order: [WORK_SLUG, accountSlug(HOME.email, HOME.accountId)] })
    const { json } = await runJson<AccountsJson>(['accounts', '--json'], box.env())
    expect(json.accounts.map((a) => a.email)).toEqual([WORK.email, HOME.email])
  })

  it('refresh without a running relay says limits are per-process', async () => {
    const result = await runCli(['accounts', 'refresh'], box.env({ AIRELAYS_PORT: '9' }))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'No running relay to refresh at http://127.0.0.1:9/v1. Account limits are per-process and are already cleared by starting or restarting the relay.',
    )
  })

  it('rejects unknown actions as usage errors', async () => {
    expect((await runCli(['accounts', 'shuffle'], box.env())).code).toBe(2)
    expect((await runCli(['accounts', 'remove'], box.env())).code).toBe(2)
  })
})

describe('airelays logout with accounts', () => {
  it('asks which account when there are several', async () => {
    await twoAccounts()
    const result = await runCli(['logout'], box.env())
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('You have 2 OpenAI accounts:')
    expect(result.stderr).toContain('  me@work.example')
    expect(result.stderr).toContain('Run `airelays logout <email>` or `airelays logout --all`.')
  })

  it('resolves selectors: ambiguous and unknown ones are errors', async () => {
    await twoAccounts()
    const ambiguous = await runCli(['logout', 'me@'], box.env())
    expect(ambiguous.code).toBe(1)
    expect(ambiguous.stderr).toContain(
      '`me@` matches 2 accounts: me@home.example, me@work.example. Type more of the email.',
    )
    const unknown = await runCli(['logout', 'carol'], box.env())
    expect(unknown.stderr).toContain(
      'Unknown account `carol`. Known accounts: me@home.example, me@work.example.',
    )
  })

  it('signs one account out; the other serves everything', async () => {
    await twoAccounts()
    const { result, json } = await runJson(['logout', 'me@work', '--json'], box.env())
    expect(result.code).toBe(0)
    expect(json).toEqual({
      deleted: true,
      signed_out: [WORK.email],
      remaining: [HOME.email],
      revoked: true,
      revoke_error: null,
    })
    await expect(stat(join(box.dataDir, 'accounts', WORK_SLUG))).rejects.toMatchObject({ code: 'ENOENT' })
    await writeSlot(join(box.dataDir, 'accounts', WORK_SLUG), emu.storedAuth({ accountId: WORK.accountId }))
    const human = await runCli(['logout', WORK_SLUG], box.env())
    expect(human.stdout).toContain('Remaining:        me@home.example (now serves all requests)')
  })

  it('--all signs every account out; accounts remove is the old spelling', async () => {
    await twoAccounts()
    const removed = await runCli(['accounts', 'remove', 'me@home'], box.env())
    expect(removed.code, removed.stderr).toBe(0)
    expect(removed.stdout).toContain(
      'Signed out me@home.example. (Tip: `airelays logout <email>` does the same.)',
    )
    await writeSlot(box.dataDir, emu.storedAuth({ accountId: HOME.accountId }))
    const { json } = await runJson<{ signed_out: string[]; remaining: string[] }>(
      ['logout', '--all', '--json'],
      box.env(),
    )
    expect(json.signed_out.sort()).toEqual([HOME.email, WORK.email])
    expect(json.remaining).toEqual([])
  })
})

describe('status and doctor with accounts', () => {
  it('status shows every account', async () => {
    await twoAccounts()
    const { json } = await runJson<{
      auth: { email: string }
      accounts: { position: number; email: string; ready_for_requests: boolean; slug: string }[]
      balance: string
    }>(['status', '--json'], box.env())
    expect(json.auth.email).toBe(HOME.email)
    expect(json.balance).toBe('balanced')
    expect(json.accounts.map((a) => [a.position, a.email, a.ready_for_requests])).toEqual([
      [1, HOME.email, true],
      [2, WORK.email, true],
    ])
    const human = await runCli(['status'], box.env())
    expect(human.stdout).toContain('OpenAI Accounts')
    expect(human.stdout).toContain('#2 me@work.example')
  })

  it('doctor checks each account', async () => {
    await twoAccounts()
    const { json } = await runJson<{ checks: { name: string; status: string }[] }>(
      ['doctor', '--json', '--skip-response'],
      box.env({ AIRELAYS_REQUIRE_BEARER_AUTH: 'false' }),
    )
    expect(json.checks.filter((c) => c.name.startsWith('openai_auth'))).toEqual([
      expect.objectContaining({ name: 'openai_auth me@home.example', status: 'pass' }),
      expect.objectContaining({ name: 'openai_auth me@work.example', status: 'pass' }),
    ])
    expect(json.checks.find((c) => c.name === 'openai_models')?.status).toBe('pass')
  })
})
