import { describe, expect, it } from 'vitest'
import { isUpstreamError, UpstreamError } from '../errors'
import { createAccountPool } from './pool'
import type { AccountPoolOptions, PoolMember } from './types'
import type { UsageSignal } from './usage-signal'

interface Acct extends PoolMember {
  slug: string
}

const A: Acct = { slug: 'a' }
const B: Acct = { slug: 'b' }
const C: Acct = { slug: 'c' }

function setup(options: AccountPoolOptions<Acct> = {}, members: Acct[] = [A, B, C]) {
  let now = 1_800_000_000_000
  const events: string[] = []
  const pool = createAccountPool<Acct>({
    members,
    clock: () => now,
    hooks: {
      onSelected: (i) =>
        events.push(`select ${i.account.slug}#${i.attempt}${i.affinity ? ' (affinity)' : ''}`),
      onFailover: (i) =>
        events.push(`failover ${i.from.slug}->${i.to.slug} ${i.reason} ${i.cooldownSeconds}s`),
    },
    ...options,
  })
  return {
    pool,
    events,
    advance: (seconds: number) => {
      now += seconds * 1000
    },
    now: () => now,
  }
}

const usageLimit = (resetsInSeconds?: number): UpstreamError =>
  new UpstreamError({
    code: 'usage_limit',
    message: 'The usage limit has been reached',
    upstreamStatus: 429,
    resetsInSeconds,
    upstreamError: {
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      ...(resetsInSeconds === undefined ? {} : { resets_in_seconds: resetsInSeconds }),
    },
  })
const overloaded = (): UpstreamError =>
  new UpstreamError({ code: 'upstream_http_error', message: 'Upstream answered 503.', upstreamStatus: 503 })
const unauthorized = (): UpstreamError =>
  new UpstreamError({ code: 'auth_rejected', message: 'Login expired.', upstreamStatus: 401 })
const badRequest = (): UpstreamError =>
  new UpstreamError({
    code: 'bad_request',
    message: 'Too long.',
    upstreamStatus: 400,
    upstreamError: { code: 'context_length_exceeded', message: 'Too long.' },
  })

const signal = (
  usedPercent: number | null,
  exhausted = false,
  resetsInSeconds: number | null = null,
): UsageSignal => ({
  usedPercent,
  windowSeconds: 604_800,
  exhausted,
  resetsInSeconds,
})

/** Serves `n` requests and returns who served each. */
async function serve(
  pool: ReturnType<typeof setup>['pool'],
  n: number,
  request: { model?: string; affinityKey?: string } = {},
): Promise<string[]> {
  const served: string[] = []
  for (let i = 0; i < n; i++) {
    const { account } = await pool.run(request, async (a) => a.slug)
    served.push(account.slug)
  }
  return served
}

describe('balance modes', () => {
  it('ordered always picks the first healthy account', async () => {
    const { pool } = setup({ balance: 'ordered' })
    expect(await serve(pool, 4)).toEqual(['a', 'a', 'a', 'a'])
  })

  it('round_robin picks the least recently selected account', async () => {
    const { pool } = setup({ balance: 'round_robin' })
    expect(await serve(pool, 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a'])
  })

  it('balanced spreads evenly without readings and with equal readings', async () => {
    const { pool } = setup()
    const served = await serve(pool, 6)
    expect(served.filter((s) => s === 'a')).toHaveLength(2)
    expect(served.filter((s) => s === 'b')).toHaveLength(2)
    for (const m of [A, B, C]) pool.recordUsage(m.slug, signal(40))
    const again = await serve(pool, 6)
    expect(new Set(again.slice(0, 3))).toEqual(new Set(['a', 'b', 'c']))
    expect(again.slice(3)).toEqual(again.slice(0, 3))
  })

  it('balanced prefers the lowest used share of the longest window', async () => {
    const { pool } = setup()
    pool.recordUsage('a', signal(70))
    pool.recordUsage('b', signal(12))
    pool.recordUsage('c', signal(35))
    expect(await serve(pool, 3)).toEqual(['b', 'b', 'b'])
    expect(pool.plan()).toEqual([B, C, A])
  })

  it('balanced ignores readings older than the freshness limit', async () => {
    const { pool, advance } = setup({ freshSignalSeconds: 900 })
    pool.recordUsage('c', signal(90))
    advance(901)
    pool.recordUsage('a', signal(50))
    pool.recordUsage('b', signal(60))
    // c's reading is stale: only a and b compete on percentages, c follows by recency.
    expect(pool.plan()).toEqual([A, B, C])
    advance(901)
    // No fresh reading at all: least recently selected, then serving order.
    expect(await serve(pool, 3)).toEqual(['a', 'b', 'c'])
  })

  it('rejects an unknown balance mode', () => {
    expect(() => createAccountPool({ balance: 'fastest' as never })).toThrow(/balance must be one of/)
  })
})

describe('affinity and models', () => {
  it('keeps a conversation on the account that served it', async () => {
    const { pool, events } = setup({ balance: 'round_robin' })
    expect(await serve(pool, 1, { affinityKey: 'conv_1' })).toEqual(['a'])
    expect(await serve(pool, 1, { affinityKey: 'conv_2' })).toEqual(['b'])
    expect(await serve(pool, 3, { affinityKey: 'conv_1' })).toEqual(['a', 'a', 'a'])
    expect(events.at(-1)).toBe('select a#0 (affinity)')
  })

  it('moves a conversation when its account is benched, and pins it to the new one', async () => {
    const { pool } = setup({ balance: 'round_robin' })
    await serve(pool, 1, { affinityKey: 'conv' })
    pool.recordFailure('a', { kind: 'quota', resetsInSeconds: 600 })
    expect(await serve(pool, 2, { affinityKey: 'conv' })).toEqual(['b', 'b'])
  })

  it('forgets the oldest conversations beyond the limit', async () => {
    const { pool } = setup({ balance: 'round_robin', affinityLimit: 2 })
    await serve(pool, 1, { affinityKey: 'k1' }) // a
    await serve(pool, 1, { affinityKey: 'k2' }) // b
    await serve(pool, 1, { affinityKey: 'k3' }) // c, evicts k1
    expect(await serve(pool, 1, { affinityKey: 'k1' })).toEqual(['a']) // by rotation, not affinity
    expect(pool.plan({ affinityKey: 'k3' })[0]).toBe(C)
  })

  it('skips accounts whose catalog lacks the model; unknown catalogs and unlisted ids allow all', async () => {
    const { pool } = setup({ balance: 'ordered' })
    pool.setModels('a', ['gpt-5.4-mini'])
    pool.setModels('b', ['gpt-5.4-mini', 'gpt-5.5'])
    expect(pool.plan({ model: 'gpt-5.5' })).toEqual([B, C])
    expect(pool.plan({ model: 'gpt-5.4-mini' })).toEqual([A, B, C])
    // c's catalog is unknown: it may serve anything.
    expect(pool.plan({ model: 'not-listed-anywhere' })).toEqual([C])
    pool.setModels('c', ['gpt-5.4-mini'])
    expect(pool.plan({ model: 'gpt-5.5' })).toEqual([B])
    // An id no catalog lists passes through to every account (the upstream decides).
    expect(pool.plan({ model: 'not-listed-anywhere' })).toEqual([A, B, C])
  })
})

describe('failover and benches', () => {
  it('fails over on a usage limit and benches the account until its reset', async () => {
    const { pool, events, advance } = setup({ balance: 'ordered' })
    const calls: string[] = []
    const result = await pool.run({}, async (account) => {
      calls.push(account.slug)
      if (account.slug === 'a') throw usageLimit(1200)
      return 'ok'
    })
    expect(result).toEqual({ value: 'ok', account: B, attempts: 2 })
    expect(calls).toEqual(['a', 'b'])
    expect(events).toEqual(['select a#0', 'failover a->b usage_limit 1200s', 'select b#1'])
    expect(pool.status()[0]).toMatchObject({
      slug: 'a',
      limited: true,
      limited_for_seconds: 1200,
      limited_kind: 'quota',
      last_error: 'The usage limit has been reached',
    })
    expect(await serve(pool, 2)).toEqual(['b', 'b'])
    advance(1199)
    expect(pool.plan()[0]).toBe(B)
    advance(1)
    expect(pool.plan()[0]).toBe(A)
  })

  it('benches quota without a reset for the cooldown, logins for 300 s, transient failures briefly', () => {
    const { pool } = setup({ cooldownSeconds: 120 })
    expect(pool.recordFailure('a', { kind: 'quota' })).toBe(120)
    expect(pool.recordFailure('b', { kind: 'auth' })).toBe(300)
    expect(pool.recordFailure('c', { kind: 'transient' })).toBe(30)
    const { pool: short } = setup({ cooldownSeconds: 10 })
    expect(short.recordFailure('c', { kind: 'transient' })).toBe(10)
    expect(pool.status().map((s) => s.limited_kind)).toEqual(['quota', 'auth', 'transient'])
  })

  it('only ever extends a bench', () => {
    const { pool, advance } = setup()
    pool.recordFailure('a', { kind: 'quota', resetsInSeconds: 900 })
    expect(pool.recordFailure('a', { kind: 'transient' })).toBe(900)
    expect(pool.status()[0]).toMatchObject({ limited_for_seconds: 900, limited_kind: 'quota' })
    advance(100)
    pool.recordUsage('a', signal(100, true, 60))
    expect(pool.status()[0]?.limited_for_seconds).toBe(800)
    pool.recordFailure('a', { kind: 'quota', resetsInSeconds: 5000 })
    expect(pool.status()[0]?.limited_for_seconds).toBe(5000)
  })

  it('does not fail over or bench on a client error: one call, the error unchanged', async () => {
    const { pool } = setup()
    const error = badRequest()
    const calls: string[] = []
    await expect(
      pool.run({}, async (a) => {
        calls.push(a.slug)
        throw error
      }),
    ).rejects.toBe(error)
    expect(calls).toHaveLength(1)
    expect(pool.status().every((s) => !s.limited)).toBe(true)
  })

  it('fails over on login and transient failures too', async () => {
    const { pool } = setup({ balance: 'ordered' })
    const result = await pool.run({}, async (a) => {
      if (a.slug === 'a') throw unauthorized()
      if (a.slug === 'b') throw overloaded()
      return a.slug
    })
    expect(result.value).toBe('c')
    expect(pool.status().map((s) => s.limited_kind)).toEqual(['auth', 'transient', null])
  })

  it('says "All N OpenAI accounts are at their limits" with the earliest retry when every account is spent', async () => {
    const { pool, advance } = setup({ balance: 'ordered' }, [A, B])
    pool.recordFailure('b', { kind: 'quota', resetsInSeconds: 7200 })
    advance(10)
    const error = await pool
      .run({}, async () => {
        throw usageLimit(3600)
      })
      .catch((e: unknown) => e)
    expect(isUpstreamError(error)).toBe(true)
    const e = error as UpstreamError
    expect(e.status).toBe(429)
    expect(e.message).toBe(
      'All 2 OpenAI accounts are at their limits (earliest retry in 3600s). Last error: The usage limit has been reached',
    )
    expect(e.resetsInSeconds).toBe(3600)
    expect(e.upstreamError).toMatchObject({ type: 'usage_limit_reached', resets_in_seconds: 3600 })
    // Only the account whose bench ends first is tried while all are spent.
    const calls: string[] = []
    await pool
      .run({}, async (a) => {
        calls.push(a.slug)
        throw usageLimit(3600)
      })
      .catch(() => {})
    expect(calls).toEqual(['a'])
    expect(pool.earliestRetrySeconds()).toBe(3600)
  })

  it('adds upstream_error / all_accounts_limited when the last error had neither type nor code', async () => {
    const { pool } = setup({}, [A, B])
    const error = (await pool
      .run({}, async () => {
        throw new UpstreamError({ code: 'usage_limit', message: 'limit', resetsInSeconds: 60 })
      })
      .catch((e: unknown) => e)) as UpstreamError
    expect(error.upstreamError).toMatchObject({
      type: 'upstream_error',
      code: 'all_accounts_limited',
      resets_in_seconds: 60,
    })
  })

  it('does not claim limits when the failures were transient or mixed', async () => {
    const { pool } = setup({ balance: 'ordered' }, [A, B])
    const error = (await pool
      .run({}, async (a) => {
        throw a.slug === 'a' ? usageLimit(100) : overloaded()
      })
      .catch((e: unknown) => e)) as UpstreamError
    expect(error.message).toBe(
      'All 2 OpenAI accounts failed for this request. Last error: Upstream answered 503.',
    )
    expect(error.status).toBe(502)
    expect(error.upstreamError).toMatchObject({ type: 'upstream_error', code: 'all_accounts_limited' })
  })

  it('a single account fails exactly as without a pool', async () => {
    const { pool } = setup({}, [A])
    const original = usageLimit(50)
    await expect(
      pool.run({}, async () => {
        throw original
      }),
    ).rejects.toBe(original)
  })

  it('retries a pass after transient failures of every account', async () => {
    const delays: number[] = []
    const { pool, advance } = setup({
      balance: 'ordered',
      retry: { attempts: 2, backoffSeconds: [5, 20] },
      sleep: async (ms) => {
        delays.push(ms)
        advance(ms / 1000)
      },
    })
    let calls = 0
    const result = await pool.run({}, async (a) => {
      calls++
      if (calls <= 3) throw overloaded()
      return a.slug
    })
    expect(result).toMatchObject({ value: 'a', attempts: 4 })
    expect(delays).toEqual([5000])
  })

  it('stops retrying after the configured passes', async () => {
    const delays: number[] = []
    const { pool } = setup(
      { retry: { attempts: 2, backoffSeconds: [5, 20] }, sleep: async (ms) => void delays.push(ms) },
      [A],
    )
    let calls = 0
    await expect(
      pool.run({}, async () => {
        calls++
        throw overloaded()
      }),
    ).rejects.toMatchObject({ code: 'upstream_http_error' })
    expect(calls).toBe(3)
    expect(delays).toEqual([5000, 20000])
  })

  it('passes an abort through without benching', async () => {
    const { pool } = setup()
    const abort = new UpstreamError({ code: 'aborted', message: 'client went away' })
    await expect(
      pool.run({}, async () => {
        throw abort
      }),
    ).rejects.toBe(abort)
    expect(pool.allBenched()).toBe(false)
  })

  it('logs selections only with two or more accounts', async () => {
    const { pool, events } = setup({}, [A])
    await serve(pool, 2)
    expect(events).toEqual([])
  })
})

describe('usage readings', () => {
  it('benches a spent account proactively and releases it only by a later reading with capacity', () => {
    const { pool, advance, now } = setup()
    const before = now()
    advance(1)
    pool.recordUsage('a', signal(100, true, 4000))
    expect(pool.status()[0]).toMatchObject({
      limited: true,
      limited_kind: 'quota',
      limited_for_seconds: 4000,
    })
    // A reading that started before the bench was placed cannot release it.
    pool.recordUsage('a', signal(20), { startedAt: before })
    expect(pool.status()[0]?.limited).toBe(true)
    advance(1)
    pool.recordUsage('a', signal(20))
    expect(pool.status()[0]?.limited).toBe(false)
  })

  it('benches a spent reading without a reset for the cooldown', () => {
    const { pool } = setup({ cooldownSeconds: 300 })
    pool.recordUsage('b', signal(null, true, null))
    expect(pool.status()[1]).toMatchObject({ limited: true, limited_for_seconds: 300 })
  })

  it('probes are cached, coalesced, forced on demand, and a failed probe never benches', async () => {
    const { pool, advance } = setup({ usageCacheSeconds: 60 })
    const probes: string[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const probe = async (a: Acct) => {
      probes.push(a.slug)
      await gate
      if (a.slug === 'c') throw new Error('HTTP 500')
      return {
        rate_limits: {
          default: {
            allowed: true,
            limit_reached: false,
            primary_window: { used_percent: a.slug === 'a' ? 80 : 10, window_seconds: 18_000 },
            secondary_window: { used_percent: a.slug === 'a' ? 5 : 50, window_seconds: 604_800 },
          },
        },
      }
    }
    const first = pool.refreshUsage(probe)
    const second = pool.refreshUsage(probe)
    release()
    await Promise.all([first, second])
    expect(probes).toEqual(['a', 'b', 'c'])
    expect(pool.status().map((s) => [s.used_percent, s.limited, s.last_error])).toEqual([
      [5, false, null],
      [50, false, null],
      [null, false, 'usage probe failed: HTTP 500'],
    ])
    await pool.refreshUsage(probe)
    expect(probes).toHaveLength(3)
    advance(61)
    await pool.refreshUsage(probe)
    expect(probes).toHaveLength(6)
    await pool.refreshUsage(probe, { force: true })
    expect(probes).toHaveLength(9)
    // The weekly window decides: a (5 %) before b (50 %).
    expect(pool.plan()[0]).toBe(A)
  })
})

describe('reloads', () => {
  it('keeps benches and readings by slug across reloads, and remembers benches of accounts that left', () => {
    const { pool } = setup({ rememberedBenches: 1 })
    pool.recordFailure('a', { kind: 'quota', resetsInSeconds: 500 })
    pool.recordFailure('b', { kind: 'quota', resetsInSeconds: 400 })
    pool.recordUsage('c', signal(33))
    pool.setMembers([C, A])
    expect(pool.status().map((s) => [s.slug, s.limited, s.used_percent])).toEqual([
      ['c', false, 33],
      ['a', true, null],
    ])
    pool.setMembers([C])
    pool.setMembers([C, A, B])
    // Only one bench is remembered (a left last); b comes back fresh.
    expect(pool.status().map((s) => [s.slug, s.limited])).toEqual([
      ['c', false],
      ['a', true],
      ['b', false],
    ])
  })

  it('an empty pool fails with the login hint', async () => {
    const { pool } = setup({}, [])
    await expect(pool.run({}, async () => 'x')).rejects.toMatchObject({ code: 'auth_missing' })
  })
})
