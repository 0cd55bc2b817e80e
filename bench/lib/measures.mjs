// The measurements. Each one interleaves the two arms round by round (one warm-up round per arm,
// then direct/relay, relay/direct, …) and returns raw per-round numbers plus derived figures.

import { ARMS, addedMedian, interleaved, pace, range, summarize, targets, withCpu } from './arms.mjs'
import { max, median, percentile, round, spread } from './stats.mjs'

// ----------------------------------------------------------------------------------------- M1

/** M1: non-stream chat completion at concurrency 1, `n` sequential requests per round. */
export async function measureM1(ctx, { n, warmup = n, rounds, content, tag = 'M1' }) {
  const t = await targets(ctx, { stream: false, pacing: null, content })
  const samples = { direct: [], relay: [] }
  const data = await interleaved(rounds, async (arm, r) => {
    await pace(ctx, 0, null)
    const ms = []
    let errors = 0
    let firstError
    const count = r < 0 ? warmup : n
    const { cpuMs: cpu } = await withCpu(ctx, arm, async () => {
      for (let i = 0; i < count; i++) {
        const res = await ctx.client.complete(t[arm])
        if (res.ok) ms.push(res.ms)
        else {
          errors++
          firstError ??= `${res.status} ${res.error}`
        }
      }
    })
    if (r >= 0) samples[arm].push(...ms)
    const cpuPerRequest = cpu === null ? null : round(cpu / count, 3)
    ctx.log(
      `    ${tag} ${arm.padEnd(6)} round ${r < 0 ? 'warm-up' : r + 1}: p50 ${fmt(percentile(ms, 50))} ms, errors ${errors}, ${arm === 'relay' ? 'relay' : 'emulator'} CPU ${fmt(cpuPerRequest)} ms/request`,
    )
    return { ...summarize(ms), errors, firstError, cpuMsPerRequest: cpuPerRequest }
  })
  return {
    n,
    warmup,
    rounds: data,
    direct: {
      p50: round(median(data.direct.map((r) => r.p50))),
      p99: round(median(data.direct.map((r) => r.p99))),
      emulatorCpuMsPerRequest: round(median(data.direct.map((r) => r.cpuMsPerRequest))),
    },
    relay: {
      p50: round(median(data.relay.map((r) => r.p50))),
      p99: round(median(data.relay.map((r) => r.p99))),
      relayCpuMsPerRequest: round(median(data.relay.map((r) => r.cpuMsPerRequest))),
    },
    addedP50: addedMedian(data, (r) => r.p50),
    addedP99: addedMedian(data, (r) => r.p99),
    spreadP50: round(spread(data.direct.map((r) => r.p50))),
    spreadP99: round(spread(data.direct.map((r) => r.p99))),
    rangeP50Ms: range(data.direct.map((r) => r.p50)),
    rangeP99Ms: range(data.direct.map((r) => r.p99)),
    errors: [...data.direct, ...data.relay].reduce((s, r) => s + r.errors, 0),
    firstError: [...data.direct, ...data.relay].find((r) => r.firstError)?.firstError,
    samples,
  }
}

// ----------------------------------------------------------------------------------------- M3

/** M3: streamed chat completion at concurrency 1, paced upstream; time to first token and gaps. */
export async function measureM3(ctx, { n, rounds, events, gapMs, route, content, tag = 'M3' }) {
  const pacing = { events, gapMs, ttftMs: 0 }
  const t = await targets(ctx, { stream: true, pacing, route, content })
  const samples = { direct: { ttft: [], gaps: [] }, relay: { ttft: [], gaps: [] } }
  const data = await interleaved(rounds, async (arm, r) => {
    await pace(ctx, n, pacing)
    const ttft = []
    const gaps = []
    let lost = 0
    let failed = 0
    let firstError
    for (let i = 0; i < n; i++) {
      const res = await ctx.client.stream(t[arm], { timings: true })
      lost += Math.max(0, events - res.deltas)
      if (!res.ok) {
        failed++
        firstError ??= `${res.status} ${res.error}`
        continue
      }
      ttft.push(res.ttft)
      for (let k = 1; k < res.times.length; k++) gaps.push(res.times[k] - res.times[k - 1])
    }
    if (r >= 0) {
      samples[arm].ttft.push(...ttft)
      samples[arm].gaps.push(...gaps)
    }
    ctx.log(
      `    ${tag} ${arm.padEnd(6)} round ${r < 0 ? 'warm-up' : r + 1}: TTFT p50 ${fmt(percentile(ttft, 50))} ms, gap p99 ${fmt(percentile(gaps, 99))} ms, lost ${lost}`,
    )
    return { ttft: summarize(ttft), gaps: summarize(gaps), lost, failed, firstError }
  })
  const all = [...data.direct, ...data.relay]
  return {
    n,
    events,
    gapMs,
    rounds: data,
    direct: {
      ttftP50: round(median(data.direct.map((r) => r.ttft.p50))),
      ttftP99: round(median(data.direct.map((r) => r.ttft.p99))),
      gapP50: round(median(data.direct.map((r) => r.gaps.p50))),
      gapP99: round(median(data.direct.map((r) => r.gaps.p99))),
    },
    relay: {
      ttftP50: round(median(data.relay.map((r) => r.ttft.p50))),
      ttftP99: round(median(data.relay.map((r) => r.ttft.p99))),
      gapP50: round(median(data.relay.map((r) => r.gaps.p50))),
      gapP99: round(median(data.relay.map((r) => r.gaps.p99))),
    },
    addedTtftP50: addedMedian(data, (r) => r.ttft.p50),
    addedTtftP99: addedMedian(data, (r) => r.ttft.p99),
    addedGapP50: addedMedian(data, (r) => r.gaps.p50),
    addedGapP99: addedMedian(data, (r) => r.gaps.p99),
    spreadTtftP50: round(spread(data.direct.map((r) => r.ttft.p50))),
    spreadGapP99: round(spread(data.direct.map((r) => r.gaps.p99))),
    rangeTtftP50Ms: range(data.direct.map((r) => r.ttft.p50)),
    rangeGapP99Ms: range(data.direct.map((r) => r.gaps.p99)),
    lost: all.reduce((s, r) => s + r.lost, 0),
    failed: all.reduce((s, r) => s + r.failed, 0),
    firstError: all.find((r) => r.firstError)?.firstError,
    samples,
  }
}

// ------------------------------------------------------------------------------------- M4 + M5

/**
 * M4: waves of `level` concurrent streams (paced `events` × `gapMs`) for each level; frames lost,
 * failed streams, largest gap, wall time against a single stream. M5 reads the relay's RSS
 * timeline during the relay waves (peak per level), plus idle before and RSS after the sweep.
 */
export async function measureM4(ctx, { levels, rounds, events, gapMs, settleMs, wallLevel, rssLevels }) {
  const pacing = { events, gapMs, ttftMs: 0 }
  const t = await targets(ctx, { stream: true, pacing })

  const wave = async (arm, level) => {
    await pace(ctx, level, pacing)
    const t0 = performance.now()
    const snap = ctx.heapSnapshot
    let snapTimer
    if (snap && !snap.taken && arm === 'relay' && level === levels[levels.length - 1] && level > 1) {
      snap.taken = true
      // Halfway through the wave, when every stream is open.
      snapTimer = setTimeout(() => process.kill(snap.pid, 'SIGUSR2'), (events * gapMs) / 2)
    }
    const { value: results, cpuMs: cpu } = await withCpu(ctx, arm, () =>
      Promise.all(Array.from({ length: level }, () => ctx.client.stream(t[arm], { timings: true }))),
    )
    const t1 = performance.now()
    clearTimeout(snapTimer)
    const gaps = []
    let lost = 0
    let failed = 0
    let largestGap = 0
    let firstError
    for (const res of results) {
      lost += Math.max(0, events - res.deltas)
      if (!res.ok) {
        failed++
        firstError ??= `${res.status} ${res.error}`
      }
      if (res.maxGap > largestGap) largestGap = res.maxGap
      for (let k = 1; k < res.times.length; k++) gaps.push(res.times[k] - res.times[k - 1])
    }
    return {
      level,
      wallMs: round(t1 - t0, 1),
      lost,
      failed,
      largestGapMs: round(largestGap, 1),
      gapP99: round(percentile(gaps, 99)),
      ttftP50: round(
        percentile(
          results.filter((r) => r.ttft !== null).map((r) => r.ttft),
          50,
        ),
      ),
      peakRssMB: arm === 'relay' ? mb(ctx.sampler?.peakBetween(t0, t1)) : null,
      cpuMsPerStream: cpu === null ? null : round(cpu / level, 3),
      firstError,
    }
  }

  // Warm-up: one wave per arm at the first level; then a single stream per arm, three times each.
  for (const arm of ARMS) await wave(arm, levels[0])
  const single = { direct: [], relay: [] }
  for (let i = 0; i < 3; i++) for (const arm of ARMS) single[arm].push((await wave(arm, 1)).wallMs)
  const singleMs = { direct: round(median(single.direct), 1), relay: round(median(single.relay), 1) }
  const warmIdleMB = mb(ctx.sampler ? currentRss(ctx) : null)

  const perLevel = []
  for (const level of levels) {
    const data = await interleaved(
      rounds,
      async (arm, r) => {
        const w = await wave(arm, level)
        ctx.log(
          `    M4 ${arm.padEnd(6)} ${String(level).padStart(5)} streams round ${r + 1}: wall ${w.wallMs} ms, lost ${w.lost}, failed ${w.failed}, largest gap ${w.largestGapMs} ms${w.peakRssMB ? `, RSS peak ${w.peakRssMB} MB` : ''}`,
        )
        return w
      },
      { warmup: false },
    )
    const row = { level, rounds: data }
    for (const arm of ARMS) {
      const rs = data[arm]
      row[arm] = {
        lost: rs.reduce((s, w) => s + w.lost, 0),
        failed: rs.reduce((s, w) => s + w.failed, 0),
        largestGapMs: round(max(rs.map((w) => w.largestGapMs)), 1),
        gapP99: round(median(rs.map((w) => w.gapP99))),
        wallMs: round(median(rs.map((w) => w.wallMs)), 1),
        wallRatio: round(median(rs.map((w) => w.wallMs)) / singleMs[arm], 2),
        cpuMsPerStream: round(median(rs.map((w) => w.cpuMsPerStream))),
        firstError: rs.find((w) => w.firstError)?.firstError,
      }
    }
    // Wall time of the wave against the direct arm's wave of the same round.
    row.wallVsDirect = round(median(data.relay.map((w, i) => w.wallMs / data.direct[i].wallMs)), 2)
    // Median of the per-round peaks: one late major GC should not decide the figure.
    row.relay.peakRssMB = round(median(data.relay.map((w) => w.peakRssMB ?? 0)), 1)
    row.relay.peakRssMaxMB = round(max(data.relay.map((w) => w.peakRssMB ?? 0)), 1)
    perLevel.push(row)
  }

  // RSS after the load: let the relay settle, then read it.
  await new Promise((r) => setTimeout(r, settleMs))
  const afterMB = mb(ctx.sampler ? currentRss(ctx) : null)
  const byLevel = new Map(perLevel.map((row) => [row.level, row]))
  const top = levels[levels.length - 1]
  // RSS per extra 100 streams between two levels (the budget's 100 → 1,000), else first → last.
  const [base, upper] =
    rssLevels && byLevel.has(rssLevels[0]) && byLevel.has(rssLevels[1]) ? rssLevels : [levels[0], top]
  const perExtra100 =
    upper > base
      ? round(
          (byLevel.get(upper).relay.peakRssMB - byLevel.get(base).relay.peakRssMB) / ((upper - base) / 100),
          2,
        )
      : null
  const wallRow = byLevel.get(wallLevel) ?? perLevel.at(-1)
  return {
    events,
    gapMs,
    levels,
    singleMs,
    perLevel,
    top,
    wall: { level: wallRow.level, relayVsDirect: wallRow.wallVsDirect },
    rss: {
      coldIdleMB: ctx.coldIdleMB ?? null,
      coldIdleWithExtraCaMB: ctx.coldIdleWithExtraCaMB ?? null,
      warmIdleMB,
      peakMB: Object.fromEntries(perLevel.map((row) => [row.level, row.relay.peakRssMB])),
      afterMB,
      afterSettleMs: settleMs,
      perExtra100MB: perExtra100,
      perExtra100Between: [base, upper],
    },
  }
}

function currentRss(ctx) {
  return ctx.sampler.samples.at(-1)?.rss ?? null
}

function mb(bytes) {
  return bytes === null || bytes === undefined ? null : round(bytes / 1024 / 1024, 1)
}

// ----------------------------------------------------------------------------------------- M7

/** M7: streams per second with `connections` concurrent clients, `n` streams per round, gap 0. */
export async function measureM7(ctx, { n: measured, warmup = measured, rounds, connections, events }) {
  const pacing = { events, gapMs: 0, ttftMs: 0 }
  const t = await targets(ctx, { stream: true, pacing })
  const data = await interleaved(rounds, async (arm, r) => {
    const n = r < 0 ? warmup : measured
    await pace(ctx, n, pacing)
    let next = 0
    let failed = 0
    let lost = 0
    let firstError
    const t0 = performance.now()
    const worker = async () => {
      while (next < n) {
        next++
        const res = await ctx.client.stream(t[arm])
        lost += Math.max(0, events - res.deltas)
        if (!res.ok) {
          failed++
          firstError ??= `${res.status} ${res.error}`
        }
      }
    }
    const { cpuMs: cpu } = await withCpu(ctx, arm, () =>
      Promise.all(Array.from({ length: Math.min(connections, n) }, worker)),
    )
    const seconds = (performance.now() - t0) / 1000
    const perSecond = round(n / seconds, 1)
    ctx.log(
      `    M7 ${arm.padEnd(6)} round ${r < 0 ? 'warm-up' : r + 1}: ${perSecond} streams/s, failed ${failed}`,
    )
    return {
      streamsPerSecond: perSecond,
      failed,
      lost,
      firstError,
      cpuMsPerStream: cpu === null ? null : round(cpu / n, 3),
    }
  })
  const ratios = data.relay.map((r, i) => r.streamsPerSecond / data.direct[i].streamsPerSecond)
  const all = [...data.direct, ...data.relay]
  return {
    n: measured,
    warmup,
    connections,
    events,
    rounds: data,
    direct: round(median(data.direct.map((r) => r.streamsPerSecond)), 1),
    relay: round(median(data.relay.map((r) => r.streamsPerSecond)), 1),
    ratio: round(median(ratios), 3),
    emulatorCpuMsPerStream: round(median(data.direct.map((r) => r.cpuMsPerStream))),
    relayCpuMsPerStream: round(median(data.relay.map((r) => r.cpuMsPerStream))),
    spread: round(spread(data.direct.map((r) => r.streamsPerSecond))),
    failed: all.reduce((s, r) => s + r.failed, 0),
    lost: all.reduce((s, r) => s + r.lost, 0),
    firstError: all.find((r) => r.firstError)?.firstError,
  }
}

function fmt(v) {
  return v === null || v === undefined ? '—' : v.toFixed(2)
}
