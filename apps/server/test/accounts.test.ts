// Several ChatGPT accounts behind one relay, on the wire: balance modes, failover before the first
// byte (stream and non-stream), benches, affinity, reloads, the account routes and the log.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { accountSlug, createAuthStore } from '@airelays/auth-store'
import { eventually } from '@airelays/test-utils'
import type { EmulatorAccountOptions } from '@airelays/upstream-emulator'
import { RateLimitError } from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { serveRelay } from '../src/index'
import { type RelayHarness, startRelay } from './_setup'

const ACCOUNTS: EmulatorAccountOptions[] = [
  { accountId: 'acct_a', email: 'a@x.example', plan: 'plus' },
  { accountId: 'acct_b', email: 'b@x.example', plan: 'business' },
  { accountId: 'acct_c', email: 'c@x.example', plan: 'pro' },
]
const slug = (i: number): string => accountSlug(ACCOUNTS[i]?.email ?? null, ACCOUNTS[i]?.accountId ?? null)

let h: RelayHarness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

/**
 * A relay over `count` accounts: the first at the data dir's root, the others in
 * accounts/<slug>, like the Python relay lays them out.
 */
async function relayWith(count: number, env: Record<string, string> = {}): Promise<RelayHarness> {
  h = await startRelay({
    emulator: { accounts: ACCOUNTS.map((a) => ({ ...a })) },
    env: { AIRELAYS_OPENAI_BALANCE: 'ordered', ...env },
    login: false,
    relay: { accountsReloadIntervalMs: 50 },
  })
  const store = createAuthStore({ mode: 'file', dataDir: h.dataDir })
  for (let i = 0; i < count; i++) {
    const accountId = ACCOUNTS[i]?.accountId as string
    await store.set(i === 0 ? 'default' : slug(i), h.emu.storedAuth({ accountId }))
  }
  await settled(h, count)
  return h
}

/** Waits until the relay serves `count` accounts (it looks at the data dir every 50 ms here). */
async function settled(harness: RelayHarness, count: number): Promise<void> {
  await eventually(async () => {
    const status = (await (await harness.fetch('/v1/relay/status')).json()) as {
      auth: { ready_for_requests: boolean }
      providers: { openai: { accounts?: unknown[] } }
    }
    const seen = status.providers.openai.accounts?.length ?? (status.auth.ready_for_requests ? 1 : 0)
    return seen === count
  })
}

function servedBy(harness: RelayHarness): string[] {
  return harness.emu.requests
    .filter((r) => r.route === 'responses' && r.status === 200)
    .map((r) => r.headers['chatgpt-account-id'] as string)
}

async function chat(
  harness: RelayHarness,
  text = 'Reply with exactly: ok',
  stream = false,
): Promise<Response> {
  return harness.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.5', stream, messages: [{ role: 'user', content: text }] }),
  })
}

describe('balance modes', () => {
  it('ordered serves from the first account; round_robin takes turns over three', async () => {
    const ordered = await relayWith(3)
    for (let i = 0; i < 3; i++) expect((await chat(ordered)).status).toBe(200)
    expect(servedBy(ordered)).toEqual(['acct_a', 'acct_a', 'acct_a'])
    await ordered.close()
    const rr = await relayWith(3, { AIRELAYS_OPENAI_BALANCE: 'round_robin' })
    // Different conversations (a chat's session id derives from its first message).
    for (let i = 0; i < 4; i++) expect((await chat(rr, `Reply with exactly: turn ${i}`)).status).toBe(200)
    expect(servedBy(rr)).toEqual(['acct_a', 'acct_b', 'acct_c', 'acct_a'])
  })

  it('balanced picks the account with the most weekly capacity left', async () => {
    const harness = await relayWith(3, { AIRELAYS_OPENAI_BALANCE: 'balanced' })
    harness.emu.setUsage({ secondaryUsedPercent: 80 }, 'acct_a')
    harness.emu.setUsage({ secondaryUsedPercent: 10 }, 'acct_b')
    harness.emu.setUsage({ secondaryUsedPercent: 40 }, 'acct_c')
    const refresh = await harness.fetch('/v1/relay/accounts/refresh', { method: 'POST' })
    expect(refresh.status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await chat(harness)).status).toBe(200)
    expect(servedBy(harness)).toEqual(['acct_b', 'acct_b', 'acct_b'])
  })
})

describe('failover before the first byte', () => {
  it('a usage limit moves a non-stream request to the next account and benches the first until its reset', async () => {
    const harness = await relayWith(2)
    harness.emu.script({ kind: 'usage_limit', accountId: 'acct_a', resetsInSeconds: 3600 })
    const res = await chat(harness)
    expect(res.status).toBe(200)
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe('ok')
    expect((await chat(harness)).status).toBe(200)
    expect(servedBy(harness)).toEqual(['acct_b', 'acct_b'])
    const status = (await (await harness.fetch('/v1/relay/status')).json()) as {
      providers: { openai: { balance: string; accounts: Record<string, unknown>[] } }
    }
    expect(status.providers.openai.balance).toBe('ordered')
    expect(status.providers.openai.accounts).toEqual([
      expect.objectContaining({ slug: slug(0), email: 'a@x.example', limited: true, limited_kind: 'quota' }),
      expect.objectContaining({ slug: slug(1), email: 'b@x.example', limited: false }),
    ])
    const limitedFor = status.providers.openai.accounts[0]?.limited_for_seconds as number
    expect(limitedFor).toBeGreaterThan(3500)
    expect(limitedFor).toBeLessThanOrEqual(3600)
    const records =
      (await eventually(async () => {
        const all = await harness.logRecords()
        const upstream = all.filter(
          (r) => r.phase === 'upstream_request' && String(r.url).endsWith('/responses'),
        ).length
        return all.some((r) => r.phase === 'account_failover') && upstream >= 3 ? all : null
      })) ?? []
    expect(records.find((r) => r.phase === 'account_failover')).toMatchObject({
      from_account: slug(0),
      to_account: slug(1),
      reason: 'usage_limit',
    })
    // The catalog check reads /models of every account first; the calls that matter are /responses.
    const upstream = records.filter(
      (r) => r.phase === 'upstream_request' && String(r.url).endsWith('/responses'),
    )
    expect(upstream.map((r) => r.account)).toEqual([slug(0), slug(1), slug(1)])
    expect(JSON.stringify(records)).not.toContain(
      harness.emu.storedAuth({ accountId: 'acct_a' }).tokens.refresh_token,
    )
  })

  it('an in-stream usage limit before content moves a stream to the next account', async () => {
    const harness = await relayWith(2)
    harness.emu.script({ kind: 'usage_limit_in_stream', accountId: 'acct_a', resetsInSeconds: 900 })
    const res = await chat(harness, 'Reply with exactly: streamed', true)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain('streamed')
    expect(text).toContain('data: [DONE]')
    expect(text).not.toContain('usage_limit')
  })

  it('when every account is spent: 429 "All 2 OpenAI accounts are at their limits" with resets_in_seconds', async () => {
    const harness = await relayWith(2)
    harness.emu.script(
      { kind: 'usage_limit', accountId: 'acct_a', resetsInSeconds: 1200 },
      { kind: 'usage_limit', accountId: 'acct_b', resetsInSeconds: 600 },
    )
    const res = await chat(harness)
    expect(res.status).toBe(429)
    const body = (await res.json()) as { error: Record<string, unknown> }
    expect(body.error.message).toMatch(
      /^All 2 OpenAI accounts are at their limits \(earliest retry in (59\d|600)s\)\. Last error: The usage limit has been reached$/,
    )
    expect(body.error.resets_in_seconds).toBeGreaterThan(590)
    expect(res.headers.get('retry-after')).toBe(String(body.error.resets_in_seconds))
  })

  it('the openai SDK keeps succeeding while any account has capacity', async () => {
    const harness = await relayWith(3)
    const client = harness.openai()
    harness.emu.setUsage({ primaryUsedPercent: 100, primaryResetAfterSeconds: 7200 }, 'acct_a')
    harness.emu.script({ kind: 'usage_limit', accountId: 'acct_b', resetsInSeconds: 7200 })
    for (let i = 0; i < 3; i++) {
      const completion = await client.chat.completions.create({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'Reply with exactly: still here' }],
      })
      expect(completion.choices[0]?.message.content).toBe('still here')
    }
    harness.emu.setUsage({ primaryUsedPercent: 100, primaryResetAfterSeconds: 7200 }, 'acct_c')
    await expect(
      client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(RateLimitError)
  })
})

describe('affinity, models and reloads', () => {
  it('keeps a conversation on the account that served it', async () => {
    const harness = await relayWith(3, { AIRELAYS_OPENAI_BALANCE: 'round_robin' })
    const ask = (key: string) =>
      harness.fetch('/v1/responses', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5.5', input: 'Reply with exactly: hi', prompt_cache_key: key }),
      })
    for (const key of ['conv_1', 'conv_2', 'conv_1', 'conv_1']) expect((await ask(key)).status).toBe(200)
    expect(servedBy(harness)).toEqual(['acct_a', 'acct_b', 'acct_a', 'acct_a'])
  })

  it('lists the union of the accounts catalogs', async () => {
    const harness = await relayWith(2)
    harness.emu.addAccount({
      ...ACCOUNTS[0],
      accountId: 'acct_a',
      models: ['gpt-5.4-mini'],
    } as EmulatorAccountOptions)
    const res = await harness.fetch('/v1/models')
    const ids = ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id)
    expect(ids).toEqual(expect.arrayContaining(['gpt-5.5', 'gpt-5.4-mini']))
    // gpt-5.5 is not in a's catalog: b serves it.
    expect((await chat(harness)).status).toBe(200)
    expect(servedBy(harness)).toEqual(['acct_b'])
  })

  it('picks up an account added on disk without a restart', async () => {
    const harness = await relayWith(1, { AIRELAYS_OPENAI_BALANCE: 'round_robin' })
    const store = createAuthStore({ mode: 'file', dataDir: harness.dataDir })
    await store.set(slug(1), harness.emu.storedAuth({ accountId: 'acct_b' }))
    await eventually(async () => {
      const status = (await (await harness.fetch('/v1/relay/status')).json()) as {
        providers: { openai: { accounts?: unknown[] } }
      }
      return (status.providers.openai.accounts?.length ?? 0) === 2
    })
    for (let i = 0; i < 2; i++) expect((await chat(harness, `Reply with exactly: new ${i}`)).status).toBe(200)
    expect(new Set(servedBy(harness))).toEqual(new Set(['acct_a', 'acct_b']))
  })

  it('serves a Python data dir with two accounts and its manifest as it is', async () => {
    h = await startRelay({
      emulator: { accounts: ACCOUNTS.map((a) => ({ ...a })) },
      env: { AIRELAYS_OPENAI_BALANCE: 'ordered' },
      login: false,
      relay: { accountsReloadIntervalMs: 50 },
    })
    const harness = h
    const python = (auth: unknown): string => JSON.stringify(auth, null, 2)
    await writeFile(
      join(harness.dataDir, 'auth.json'),
      python(harness.emu.storedAuth({ accountId: 'acct_a' })),
      {
        mode: 0o600,
      },
    )
    await mkdir(join(harness.dataDir, 'accounts', slug(1)), { recursive: true })
    await writeFile(
      join(harness.dataDir, 'accounts', slug(1), 'auth.json'),
      python(harness.emu.storedAuth({ accountId: 'acct_b' })),
      { mode: 0o600 },
    )
    await writeFile(
      join(harness.dataDir, 'accounts', 'manifest.json'),
      JSON.stringify({ order: [slug(1), slug(0)] }),
    )
    await settled(harness, 2)
    expect((await chat(harness)).status).toBe(200)
    expect(servedBy(harness)).toEqual(['acct_b'])
  })
})

describe('account routes', () => {
  it('subscription status: all_accounts=true lists every account, account=SLUG one, unknown is 404', async () => {
    const harness = await relayWith(2)
    harness.emu.setUsage({ secondaryUsedPercent: 55 }, 'acct_b')
    const all = (await (await harness.fetch('/v1/subscription/status?all_accounts=true')).json()) as {
      object: string
      accounts: { slug: string; email: string; status: { account: { account_id: string } } }[]
    }
    expect(all.object).toBe('subscription_status_list')
    expect(all.accounts.map((a) => [a.slug, a.email, a.status.account.account_id])).toEqual([
      [slug(0), 'a@x.example', 'acct_a'],
      [slug(1), 'b@x.example', 'acct_b'],
    ])
    const one = await harness.fetch(`/v1/subscription/status?account=${slug(1)}`)
    expect(((await one.json()) as { account: { account_id: string } }).account.account_id).toBe('acct_b')
    const unknown = await harness.fetch('/v1/subscription/status?account=nobody')
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(
      'Unknown account `nobody`.',
    )
  })

  it('POST /v1/relay/accounts/refresh reads every account and reports it', async () => {
    const harness = await relayWith(2)
    harness.emu.setUsage({ primaryUsedPercent: 100, primaryResetAfterSeconds: 500 }, 'acct_b')
    const res = await harness.fetch('/v1/relay/accounts/refresh', { method: 'POST' })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { object: string; accounts: Record<string, unknown>[] }
    expect(body.object).toBe('accounts.refresh')
    expect(body.accounts.map((a) => [a.slug, a.limited])).toEqual([
      [slug(0), false],
      [slug(1), true],
    ])
  })
})

describe('two relays on one data dir', () => {
  it('a refresh-token rotation by one relay is seen by the other', async () => {
    const harness = await relayWith(0)
    const store = createAuthStore({ mode: 'file', dataDir: harness.dataDir })
    await store.set('default', harness.emu.storedAuth({ accountId: 'acct_a', expiresInSeconds: -60 }))
    await settled(harness, 1)
    const second = await serveRelay({ config: harness.config, host: '127.0.0.1', port: 0 })
    try {
      const ask = (url: string) =>
        fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${harness.token}` },
          body: JSON.stringify({
            model: 'gpt-5.5',
            messages: [{ role: 'user', content: 'Reply with exactly: ok' }],
          }),
        })
      const results = await Promise.all([ask(harness.relay.url), ask(second.url), ask(harness.relay.url)])
      expect(results.map((r) => r.status)).toEqual([200, 200, 200])
      expect(harness.emu.requests.filter((r) => r.route === 'token')).toHaveLength(1)
      expect((await ask(second.url)).status).toBe(200)
    } finally {
      await second.close({ force: true })
    }
  })
})
