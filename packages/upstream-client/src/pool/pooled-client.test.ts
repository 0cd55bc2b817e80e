// Several accounts on the wire: a pooled client over per-account clients, against the emulator.
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  codexBody,
  collect,
  instantSleep,
  NO_ENV_PROXY,
  recordingStore,
  rejectionOf,
  textOf,
} from '../_test-helpers'
import { createUpstreamClient } from '../client'
import type { UpstreamError } from '../errors'
import { createAccountPool } from './pool'
import { createPooledClient, type PooledAccount, type PooledClient } from './pooled-client'
import type { BalanceMode } from './types'

let emu: UpstreamEmulator
let pooled: PooledClient | null = null
let now = 1_900_000_000_000
const IDS = ['acct_a', 'acct_b', 'acct_c']

beforeEach(async () => {
  now = 1_900_000_000_000
  emu = await createUpstreamEmulator({
    accounts: IDS.map((accountId, i) => ({
      accountId,
      email: `${accountId.slice(5)}@x.example`,
      usage: { secondaryUsedPercent: 20 + i * 10 },
    })),
  })
})

afterEach(async () => {
  await pooled?.close()
  pooled = null
  await emu.close()
})

function setup(
  count: number,
  options: { balance?: BalanceMode } = {},
): { client: PooledClient; events: string[] } {
  const events: string[] = []
  const members: PooledAccount[] = IDS.slice(0, count).map((accountId) => ({
    slug: accountId.slice(5),
    email: `${accountId.slice(5)}@x.example`,
    client: createUpstreamClient({
      baseUrl: emu.backendUrl,
      issuerUrl: emu.url,
      clientId: emu.clientId,
      credentials: recordingStore(emu.storedAuth({ accountId })),
      proxy: NO_ENV_PROXY,
      retry: { attempts: 0 },
      sleep: instantSleep().sleep,
    }),
  }))
  pooled = createPooledClient({
    pool: createAccountPool({ members, balance: options.balance ?? 'balanced', clock: () => now }),
    hooks: {
      onAccountSelected: (i) => events.push(`selected ${i.account}`),
      onAccountFailover: (i) =>
        events.push(`failover ${i.from_account}->${i.to_account} ${i.reason} ${i.cooldown_seconds}s`),
    },
  })
  return { client: pooled, events }
}

/** The accounts that served `/responses`, in order. */
const servedBy = () =>
  emu.requests
    .filter((r) => r.route === 'responses' && r.status === 200)
    .map((r) => r.headers['chatgpt-account-id'])

async function ask(
  client: PooledClient,
  options: { sessionId?: string; stream?: boolean } = {},
): Promise<string> {
  const stream = await client.responses(codexBody(), { sessionId: options.sessionId ?? null })
  return textOf(await collect(stream))
}

describe('pooled client on the wire', () => {
  it('ordered uses the first account; round_robin rotates over three', async () => {
    const ordered = setup(3, { balance: 'ordered' })
    for (let i = 0; i < 3; i++) expect(await ask(ordered.client)).toBe('pong')
    expect(servedBy()).toEqual(['acct_a', 'acct_a', 'acct_a'])
    await ordered.client.close()
    emu.reset()
    const rr = setup(3, { balance: 'round_robin' })
    for (let i = 0; i < 4; i++) await ask(rr.client)
    expect(servedBy()).toEqual(['acct_a', 'acct_b', 'acct_c', 'acct_a'])
  })

  it('balanced follows the probed usage: the lowest weekly share serves', async () => {
    const { client } = setup(3)
    emu.setUsage({ secondaryUsedPercent: 90 }, 'acct_a')
    emu.setUsage({ secondaryUsedPercent: 15 }, 'acct_c')
    await client.refreshAccounts({ force: true })
    expect(client.accounts().map((a) => [a.slug, a.used_percent])).toEqual([
      ['a', 90],
      ['b', 30],
      ['c', 15],
    ])
    for (let i = 0; i < 3; i++) await ask(client)
    expect(servedBy()).toEqual(['acct_c', 'acct_c', 'acct_c'])
  })

  it('a usage limit fails over before the first byte, streamed, and benches the account until its reset', async () => {
    const { client, events } = setup(2, { balance: 'ordered' })
    emu.script({ kind: 'usage_limit', accountId: 'acct_a', resetsInSeconds: 1800 })
    expect(await ask(client)).toBe('pong')
    expect(events).toEqual(['selected a', 'failover a->b usage_limit 1800s', 'selected b'])
    expect(client.accounts()[0]).toMatchObject({
      slug: 'a',
      limited: true,
      limited_kind: 'quota',
      limited_for_seconds: 1800,
    })
    await ask(client)
    // a is not asked again while benched.
    expect(
      emu.requests.filter((r) => r.route === 'responses').map((r) => r.headers['chatgpt-account-id']),
    ).toEqual(['acct_a', 'acct_b', 'acct_b'])
    now += 1800 * 1000
    await ask(client)
    expect(servedBy().at(-1)).toBe('acct_a')
  })

  it('fails over on an in-stream usage limit before content, and on an account whose window is spent', async () => {
    const { client } = setup(3, { balance: 'ordered' })
    emu.script({ kind: 'usage_limit_in_stream', accountId: 'acct_a', resetsInSeconds: 600 })
    emu.setUsage({ primaryUsedPercent: 100, primaryResetAfterSeconds: 3000 }, 'acct_b')
    expect(await ask(client)).toBe('pong')
    // a's stream failed before content (HTTP 200, then the error event); b answered 429; c served.
    expect(
      emu.requests
        .filter((r) => r.route === 'responses')
        .map((r) => [r.headers['chatgpt-account-id'], r.status]),
    ).toEqual([
      ['acct_a', 200],
      ['acct_b', 429],
      ['acct_c', 200],
    ])
    expect(client.accounts().map((a) => a.limited_kind)).toEqual(['quota', 'quota', null])
  })

  it('a client error is returned at once: one upstream call, no bench', async () => {
    const { client } = setup(2)
    const error = (await rejectionOf(
      client.responses(codexBody({ model: 'no-such-model' })),
    )) as UpstreamError
    expect(error.code).toBe('bad_request')
    expect(emu.requests.filter((r) => r.route === 'responses')).toHaveLength(1)
    expect(client.accounts().every((a) => !a.limited)).toBe(true)
  })

  it('answers "All N OpenAI accounts are at their limits" when every account is spent', async () => {
    const { client } = setup(2)
    emu.script(
      { kind: 'usage_limit', accountId: 'acct_a', resetsInSeconds: 700 },
      { kind: 'usage_limit', accountId: 'acct_b', resetsInSeconds: 500 },
    )
    const error = (await rejectionOf(client.responses(codexBody()))) as UpstreamError
    expect(error.status).toBe(429)
    expect(error.message).toBe(
      'All 2 OpenAI accounts are at their limits (earliest retry in 500s). Last error: The usage limit has been reached',
    )
    expect(error.resetsInSeconds).toBe(500)
  })

  it('keeps a conversation on the account that served it', async () => {
    const { client } = setup(3, { balance: 'round_robin' })
    await ask(client, { sessionId: 'conv_1' })
    await ask(client, { sessionId: 'conv_2' })
    await ask(client, { sessionId: 'conv_1' })
    await ask(client, { sessionId: 'conv_1' })
    expect(servedBy()).toEqual(['acct_a', 'acct_b', 'acct_a', 'acct_a'])
  })

  it('lists the union of the catalogs and skips accounts without the model', async () => {
    emu.addAccount({ accountId: 'acct_a', email: 'a@x.example', models: ['gpt-5.4-mini'] })
    const { client } = setup(2, { balance: 'ordered' })
    const models = await client.models()
    expect(models.map((m) => m.slug)).toContain('gpt-5.5')
    expect(models.map((m) => m.slug)).toContain('gpt-5.4-mini')
    await ask(client)
    expect(servedBy()).toEqual(['acct_b'])
    await collect(await client.responses(codexBody({ model: 'gpt-5.4-mini' })))
    expect(servedBy()).toEqual(['acct_b', 'acct_a'])
  })

  it('one account behaves as without a pool', async () => {
    const { client, events } = setup(1)
    emu.script({ kind: 'usage_limit', accountId: 'acct_a', resetsInSeconds: 60 })
    const error = (await rejectionOf(client.responses(codexBody()))) as UpstreamError
    expect(error.code).toBe('usage_limit')
    expect(error.message).not.toMatch(/All \d+ OpenAI accounts/)
    expect(events).toEqual([])
  })
})
