// How cost grows with work (issue 23), each against the direct arm of the same run: a long stream
// (CPU per streamed event), a large request (1 MB of input, non-stream and stream, traffic log on),
// the Anthropic route's stream, and the hot-path figures again with the dashboard's feed connected.

import { interleaved, pace, targets, withCpu } from './arms.mjs'
import { measureM1, measureM3 } from './measures.mjs'
import { median, round, spread } from './stats.mjs'

/**
 * LONG: one stream of `events` text events with no pacing, per arm and round; wall time, frames
 * lost and the serving process's CPU time per event (relay against the emulator that produced them).
 */
export async function measureLong(ctx, { events, rounds }) {
  const pacing = { events, gapMs: 0, ttftMs: 0 }
  const t = await targets(ctx, { stream: true, pacing })
  const data = await interleaved(rounds, async (arm, r) => {
    await pace(ctx, 1, pacing)
    const { value: res, cpuMs: cpu } = await withCpu(ctx, arm, () => ctx.client.stream(t[arm]))
    const lost = Math.max(0, events - res.deltas)
    const cpuUsPerEvent = cpu === null ? null : round((cpu * 1000) / events, 2)
    ctx.log(
      `    LONG ${arm.padEnd(6)} round ${r < 0 ? 'warm-up' : r + 1}: ${round(res.ms, 1)} ms, lost ${lost}, CPU ${cpuUsPerEvent ?? '—'} µs/event`,
    )
    return { wallMs: round(res.ms, 1), lost, ok: res.ok, error: res.error, cpuUsPerEvent }
  })
  const all = [...data.direct, ...data.relay]
  const cpuRatios = data.relay.map((r, i) =>
    r.cpuUsPerEvent === null || !data.direct[i].cpuUsPerEvent
      ? null
      : r.cpuUsPerEvent / data.direct[i].cpuUsPerEvent,
  )
  return {
    events,
    rounds: data,
    direct: {
      wallMs: round(median(data.direct.map((r) => r.wallMs)), 1),
      emulatorCpuUsPerEvent: round(median(data.direct.map((r) => r.cpuUsPerEvent))),
    },
    relay: {
      wallMs: round(median(data.relay.map((r) => r.wallMs)), 1),
      relayCpuUsPerEvent: round(median(data.relay.map((r) => r.cpuUsPerEvent))),
    },
    wallRatio: round(median(data.relay.map((r, i) => r.wallMs / data.direct[i].wallMs)), 2),
    cpuRatio: cpuRatios.includes(null) ? null : round(median(cpuRatios), 2),
    spreadWall: round(spread(data.direct.map((r) => r.wallMs))),
    lost: data.relay.reduce((s, r) => s + r.lost, 0),
    directLost: data.direct.reduce((s, r) => s + r.lost, 0),
    failed: all.filter((r) => !r.ok).length,
    firstError: all.find((r) => r.error)?.error,
  }
}

/** About `bytes` of plain words: the user message of the large-request measure. */
export function largeContent(bytes) {
  const words = 'the relay forwards a long Codex session that sends its whole history every turn '
  return words.repeat(Math.ceil(bytes / words.length)).slice(0, bytes)
}

/**
 * LARGE: a request carrying `bytes` of input, non-stream (added p50, as M1) and stream (added time
 * to first event, as M3), traffic log on as by default.
 */
export async function measureLarge(ctx, { bytes, n, warmup, streams, events, rounds }) {
  const content = largeContent(bytes)
  const nonStream = await measureM1(ctx, { n, warmup, rounds, content, tag: 'LARGE' })
  const stream = await measureM3(ctx, { n: streams, events, gapMs: 0, rounds, content, tag: 'LARGE' })
  const { samples: _a, ...ns } = nonStream
  const { samples: _b, ...st } = stream
  return { bytes, nonStream: ns, stream: st }
}

/** ANTH: `POST /v1/messages` stream (Claude Code's route) against the direct arm: as M3. */
export async function measureAnthropic(ctx, size) {
  const { samples: _s, ...rest } = await measureM3(ctx, { ...size, route: 'messages', tag: 'ANTH' })
  return rest
}

/**
 * DASH: M1 and M3 once more while a dashboard listens to `GET /v1/relay/traffic/stream` (every
 * finished request is serialised and sent to it). Compared with M1/M3 of the same run.
 */
export async function measureWithFeed(ctx, { M1, M3 }) {
  const feed = await ctx.client.listen({
    url: `${ctx.relay.url}/v1/relay/traffic/stream`,
    headers: { authorization: `Bearer ${ctx.home.token}`, accept: 'text/event-stream' },
  })
  try {
    const { samples: _a, ...m1 } = await measureM1(ctx, { ...M1, tag: 'DASH-M1' })
    const { samples: _b, ...m3 } = await measureM3(ctx, { ...M3, tag: 'DASH-M3' })
    return { M1: m1, M3: m3, feedFrames: feed.frames, feedBytes: feed.bytes }
  } finally {
    await feed.close()
  }
}
