// The two arms of every measurement (direct to the emulator, through the relay): interleaving
// rounds, CPU accounting, emulator pacing and the request targets of each arm.

import { cpuMs } from './machine.mjs'
import { emulatorControl } from './processes.mjs'
import { median, percentile, round } from './stats.mjs'

export const ARMS = ['direct', 'relay']

/** CPU ms the serving process of `arm` (relay, or the emulator for the direct arm) spends in `fn`. */
export async function withCpu(ctx, arm, fn) {
  const pid = arm === 'relay' ? ctx.relay.pid : ctx.emulator.pid
  const before = cpuMs(pid)
  const value = await fn()
  const after = cpuMs(pid)
  return { value, cpuMs: before === null || after === null ? null : after - before }
}

/** Run `runArm(arm, round)` for a warm-up round per arm, then `rounds` interleaved measured rounds. */
export async function interleaved(rounds, runArm, { warmup = true } = {}) {
  if (warmup) for (const arm of ARMS) await runArm(arm, -1)
  const out = { direct: [], relay: [] }
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ARMS : [...ARMS].reverse()
    for (const arm of order) out[arm].push(await runArm(arm, r))
  }
  return out
}

/** Reset the emulator (forget recordings and queued behaviours) and queue `count` pace behaviours. */
export async function pace(ctx, count, pacing) {
  await emulatorControl(ctx.emulator, 'POST', 'reset')
  if (!pacing || count === 0) return
  const list = Array.from({ length: count }, () => ({ kind: 'pace', ...pacing }))
  // Chunks keep each control request small.
  for (let i = 0; i < list.length; i += 5000)
    await emulatorControl(ctx.emulator, 'POST', 'script', list.slice(i, i + 5000))
}

const HOP_BY_HOP = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'expect',
])

/**
 * The two request targets of a workload. The relay arm is POST /v1/chat/completions (or, with
 * `route: 'messages'`, the Anthropic POST /v1/messages); the direct arm replays, straight to the
 * emulator's /responses, the exact upstream request the relay sent for the same request (body and
 * headers captured from the emulator's recording), so both arms ask the upstream for the same
 * thing. `content` replaces the user message (the large-request measure sends 1 MB of it).
 */
export async function targets(ctx, { stream, pacing, route = 'chat', content }) {
  const text = content ?? 'Say hello to the benchmark.'
  const anthropic = route === 'messages'
  const request = anthropic
    ? { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: text }], stream }
    : { model: 'gpt-5.5', messages: [{ role: 'user', content: text }], stream }
  const relay = {
    kind: anthropic ? 'anthropic' : 'relay',
    url: `${ctx.relay.url}/v1/${anthropic ? 'messages' : 'chat/completions'}`,
    headers: anthropic
      ? { 'x-api-key': ctx.home.token, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }
      : { authorization: `Bearer ${ctx.home.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  }
  await pace(ctx, 1, pacing ? { ...pacing, gapMs: 0 } : null)
  const probe = stream ? await ctx.client.stream(relay) : await ctx.client.complete(relay)
  if (!probe.ok) throw new Error(`relay calibration request failed: ${probe.status} ${probe.error ?? ''}`)
  const recorded = await emulatorControl(ctx.emulator, 'GET', 'requests')
  const upstream = recorded.filter((r) => r.route === 'responses').at(-1)
  if (!upstream) throw new Error('the relay did not call the emulator /responses endpoint')
  const headers = {}
  for (const [name, value] of Object.entries(upstream.headers))
    if (!HOP_BY_HOP.has(name)) headers[name] = value
  const direct = {
    kind: 'direct',
    url: `${ctx.emulator.backendUrl}/responses`,
    headers,
    body: typeof upstream.body === 'string' ? upstream.body : JSON.stringify(upstream.body),
  }
  return { direct, relay }
}

/** max − min of round values (ms), null when one is missing. */
export function range(values) {
  if (values.some((v) => v === null || !Number.isFinite(v))) return null
  return round(Math.max(...values) - Math.min(...values))
}

export function summarize(values) {
  return { p50: round(percentile(values, 50)), p99: round(percentile(values, 99)), n: values.length }
}

/** Median of per-round differences relay − direct of a per-round figure. */
export function addedMedian(rounds, pick) {
  const diffs = rounds.relay.map((r, i) => pick(r) - pick(rounds.direct[i]))
  return round(median(diffs))
}
