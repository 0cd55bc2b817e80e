// The report rows of the measures of how cost grows with work (issue 23): the concurrent-stream
// sweep and relay memory (M4/M5), the long stream, the large request, the Anthropic route and the
// hot path with the dashboard's feed connected; plus the list of every budget, so a full run (or
// an older result file) shows a budget it did not measure as "not measured".

import { BUDGETS, fmtNum } from './figures.mjs'

/** Difference between two added-latency figures accepted as "unchanged within noise" (DASH). */
export const FEED_NOISE_MS = 0.25

/** Every budgeted figure: id, label and budget text (a full run without it shows "not measured"). */
export const BUDGETED = [
  ['m1.added_p50', 'M1 added p50 latency, non-stream, c=1', `≤ ${BUDGETS.m1AddedP50Ms} ms`],
  ['m3.added_ttft_p50', 'M3 added time to first token p50, stream', `≤ ${BUDGETS.m3AddedTtftP50Ms} ms`],
  [
    'm4.wall_vs_direct',
    'M4 wall time of 500 concurrent 40-event streams, relay / direct',
    `≤ ${BUDGETS.m4WallVsDirect}×`,
  ],
  [
    `m4.streams_${BUDGETS.m4Streams}`,
    `M4 ${BUDGETS.m4Streams} concurrent streams: frames lost`,
    '0 lost at 2,000',
  ],
  ['m5.per_extra_100', 'M5 relay RSS per extra 100 streams (100 → 1,000)', `≤ ${BUDGETS.m5PerExtra100MB} MB`],
  ['m5.idle', 'M5 relay RSS idle (cold, before any request)', `≤ ${BUDGETS.m5ColdIdleMB} MB`],
  [
    'm5.after',
    'M5 relay RSS 30 s after the load, against warm idle',
    `≤ ${BUDGETS.m5AfterVsIdle}× warm idle`,
  ],
  [
    'long.cpu_per_event',
    'LONG relay CPU per streamed event, relay / emulator',
    `≤ ${BUDGETS.cpuPerEventRatio}×`,
  ],
  ['large.added_p50', 'LARGE 1 MB request, non-stream: added p50', `≤ ${BUDGETS.largeAddedMs} ms`],
  [
    'large.added_ttft_p50',
    'LARGE 1 MB request, stream: added time to first event p50',
    `≤ ${BUDGETS.largeAddedMs} ms`,
  ],
  ['dash.m1_added_p50', 'DASH M1 added p50 with the dashboard feed connected', 'M1 ± noise'],
  ['dash.m3_added_ttft_p50', 'DASH M3 added time to first token p50 with the feed connected', 'M3 ± noise'],
  ['startup.version', '`airelays --version` start-up (median)', `≤ ${BUDGETS.versionMs} ms`],
  ['startup.status', '`airelays status` start-up (median)', `≤ ${BUDGETS.statusMs} ms`],
]

/** Rows for the budgets a full result did not measure (an older result file, a broken metric). */
export function notMeasuredRows(rows) {
  const have = new Set(rows.map((r) => r.id))
  return BUDGETED.filter(([id]) => !have.has(id)).map(([id, label, budget]) => ({
    id,
    metric: id.split('.')[0],
    label,
    value: null,
    display: '—',
    budget,
    verdict: 'n/a',
    reason: 'not measured',
  }))
}

/** The M4 (concurrent streams) and M5 (relay memory) rows. */
export function m4m5Rows(m, judge) {
  if (!m.M4) return []
  const x = m.M4
  const rows = []
  for (const row of x.perLevel) {
    const top = row.level === x.top
    const budgeted = top && row.level >= BUDGETS.m4Streams
    const rounds = row.rounds.relay.length
    const held = row.relay.lost === 0 && row.relay.failed === 0
    const directBroken = row.direct.lost > 0 || row.direct.failed > 0
    rows.push(
      judge(
        {
          id: `m4.streams_${row.level}`,
          metric: 'M4',
          label: `M4 ${row.level} concurrent streams (${x.events} events at ${x.gapMs} ms): frames lost`,
          value: row.relay.lost + row.relay.failed,
          display: `${row.relay.lost} lost, ${row.relay.failed} failed of ${rounds}×${row.level}`,
          budget: budgeted ? '0 lost at 2,000' : '—',
          detail: `largest gap ${fmtNum(row.relay.largestGapMs, 0)} ms (direct ${fmtNum(row.direct.largestGapMs, 0)}), gap p99 ${fmtNum(row.relay.gapP99, 1)} ms, wall ×${fmtNum(row.relay.wallRatio)} of one stream (direct ×${fmtNum(row.direct.wallRatio)}), relay / direct wall ×${fmtNum(row.wallVsDirect)}${row.relay.firstError ? `; ${row.relay.firstError}` : ''}`,
        },
        {
          metric: 'M4',
          rigBound:
            top && directBroken
              ? `rig-bound: the direct arm lost ${row.direct.lost} frames / ${row.direct.failed} streams too`
              : undefined,
          pass: budgeted ? held : undefined,
        },
      ),
    )
  }
  if (x.wall)
    rows.push(
      judge(
        {
          id: 'm4.wall_vs_direct',
          metric: 'M4',
          label: `M4 wall time of ${x.wall.level} concurrent ${x.events}-event streams, relay / direct`,
          value: x.wall.relayVsDirect,
          display: `${fmtNum(x.wall.relayVsDirect)}×`,
          budget: `≤ ${BUDGETS.m4WallVsDirect}×`,
          detail: 'median over rounds of the relay wave against the direct wave of the same round',
        },
        {
          metric: 'M4',
          pass: x.wall.level === 500 ? x.wall.relayVsDirect <= BUDGETS.m4WallVsDirect : undefined,
        },
      ),
    )
  rows.push(...m5Rows(x, judge))
  return rows
}

/** What the cold-idle row says beside its figure: judged without NODE_EXTRA_CA_CERTS, like start-up. */
function coldIdleDetail(r) {
  const base =
    'relay started without NODE_EXTRA_CA_CERTS (it reads no CA bundle: its upstream is the loopback emulator)'
  if (r.coldIdleWithExtraCaMB === undefined) return undefined // a result from before this rule
  if (r.coldIdleWithExtraCaMB === null) return `${base}; the variable is not set here, or not measured`
  return `${base}; with NODE_EXTRA_CA_CERTS as this environment sets it: ${fmtNum(r.coldIdleWithExtraCaMB, 1)} MB`
}

function m5Rows(x, judge) {
  const r = x.rss
  const [lo, hi] = r.perExtra100Between
  const afterRatio = r.warmIdleMB ? r.afterMB / r.warmIdleMB : null
  return [
    judge(
      {
        id: 'm5.per_extra_100',
        metric: 'M4',
        label: `M5 relay RSS per extra 100 streams ((peak${hi} − peak${lo}) / ${((hi - lo) / 100).toFixed(hi - lo >= 100 ? 0 : 2)})`,
        value: r.perExtra100MB,
        display: `${fmtNum(r.perExtra100MB)} MB`,
        budget: `≤ ${BUDGETS.m5PerExtra100MB} MB`,
        detail: `cold idle ${fmtNum(r.coldIdleMB, 1)} MB, warm idle ${fmtNum(r.warmIdleMB, 1)} MB, peak ${Object.entries(
          r.peakMB,
        )
          .map(([k, v]) => `${k}: ${fmtNum(v, 1)}`)
          .join(', ')} MB, after ${fmtNum(r.afterMB, 1)} MB`,
      },
      { metric: 'M4', pass: hi >= 1000 ? r.perExtra100MB <= BUDGETS.m5PerExtra100MB : undefined },
    ),
    judge(
      {
        id: 'm5.idle',
        metric: 'M4',
        label: 'M5 relay RSS idle (cold, before any request)',
        value: r.coldIdleMB,
        display: `${fmtNum(r.coldIdleMB, 1)} MB`,
        budget: `≤ ${BUDGETS.m5ColdIdleMB} MB`,
        detail: coldIdleDetail(r),
      },
      { metric: 'M4', pass: r.coldIdleMB <= BUDGETS.m5ColdIdleMB },
    ),
    judge(
      {
        id: 'm5.peak',
        metric: 'M4',
        label: `M5 relay RSS peak at ${x.top} streams`,
        value: r.peakMB[x.top],
        display: `${fmtNum(r.peakMB[x.top], 1)} MB`,
        budget: '—',
      },
      { metric: 'M4' },
    ),
    judge(
      {
        id: 'm5.after',
        metric: 'M4',
        label: `M5 relay RSS after the load (${(r.afterSettleMs / 1000).toFixed(0)} s later), against warm idle`,
        value: afterRatio === null ? r.afterMB : afterRatio,
        display: `${fmtNum(r.afterMB, 1)} MB (${fmtNum(afterRatio)}× warm idle)`,
        budget: `≤ ${BUDGETS.m5AfterVsIdle}× warm idle`,
        detail: `warm idle ${fmtNum(r.warmIdleMB, 1)} MB (after the warm-up waves, before the sweep)`,
      },
      {
        metric: 'M4',
        pass:
          afterRatio !== null && r.afterSettleMs >= 30_000 ? afterRatio <= BUDGETS.m5AfterVsIdle : undefined,
      },
    ),
  ]
}

/** LONG: CPU per streamed event and the wall time of a long stream. */
export function longRows(m, judge) {
  if (!m.LONG) return []
  const x = m.LONG
  const broken = x.lost || x.failed
  return [
    judge(
      {
        id: 'long.cpu_per_event',
        metric: 'LONG',
        label: `LONG relay CPU per streamed event (one ${x.events}-event stream), relay / emulator`,
        value: broken ? null : x.cpuRatio,
        display: `${fmtNum(x.cpuRatio)}×`,
        budget: `≤ ${BUDGETS.cpuPerEventRatio}×`,
        detail: `relay ${fmtNum(x.relay.relayCpuUsPerEvent)} µs, emulator ${fmtNum(x.direct.emulatorCpuUsPerEvent)} µs per event; wall ${fmtNum(x.relay.wallMs, 0)} ms vs direct ${fmtNum(x.direct.wallMs, 0)} ms (×${fmtNum(x.wallRatio)})`,
        reason: broken
          ? `${x.lost} frames lost, ${x.failed} failed streams (${x.firstError ?? ''})`
          : undefined,
      },
      { metric: 'LONG', pass: x.events >= 1000 ? x.cpuRatio <= BUDGETS.cpuPerEventRatio : undefined },
    ),
    judge(
      {
        id: 'long.lost',
        metric: 'LONG',
        label: `LONG frames lost in one ${x.events}-event stream`,
        value: x.lost + x.failed,
        display: `${x.lost} lost, ${x.failed} failed`,
        budget: '—',
      },
      { metric: 'LONG' },
    ),
  ]
}

/** LARGE: a 1 MB request, non-stream and stream. */
export function largeRows(m, judge) {
  if (!m.LARGE) return []
  const x = m.LARGE
  const kb = `${Math.round(x.bytes / 1024)} KB`
  const full = x.bytes >= 1024 * 1024
  const ns = x.nonStream
  const st = x.stream
  const stBroken = st.failed || st.lost
  return [
    judge(
      {
        id: 'large.added_p50',
        metric: 'LARGE',
        label: `LARGE ${kb} request, non-stream: added p50`,
        value: ns.errors ? null : ns.addedP50,
        display: `${fmtNum(ns.addedP50)} ms`,
        budget: `≤ ${BUDGETS.largeAddedMs} ms`,
        detail: `direct ${fmtNum(ns.direct.p50)} ms, relay ${fmtNum(ns.relay.p50)} ms; relay CPU ${fmtNum(ns.relay.relayCpuMsPerRequest)} ms per request (emulator ${fmtNum(ns.direct.emulatorCpuMsPerRequest)})`,
        reason: ns.errors ? `failed requests: ${ns.firstError}` : undefined,
      },
      {
        metric: 'LARGE',
        stability: ns.spreadP50,
        rangeMs: ns.rangeP50Ms,
        pass: full ? ns.addedP50 <= BUDGETS.largeAddedMs : undefined,
      },
    ),
    judge(
      {
        id: 'large.added_ttft_p50',
        metric: 'LARGE',
        label: `LARGE ${kb} request, stream: added time to first event p50`,
        value: stBroken ? null : st.addedTtftP50,
        display: `${fmtNum(st.addedTtftP50)} ms`,
        budget: `≤ ${BUDGETS.largeAddedMs} ms`,
        detail: `direct ${fmtNum(st.direct.ttftP50)} ms, relay ${fmtNum(st.relay.ttftP50)} ms`,
        reason: stBroken
          ? `${st.failed} failed streams, ${st.lost} lost frames (${st.firstError ?? ''})`
          : undefined,
      },
      {
        metric: 'LARGE',
        stability: st.spreadTtftP50,
        rangeMs: st.rangeTtftP50Ms,
        pass: full ? st.addedTtftP50 <= BUDGETS.largeAddedMs : undefined,
      },
    ),
  ]
}

/** ANTH: the Anthropic route's stream (information: the design sets no budget of its own). */
export function anthropicRows(m, judge) {
  if (!m.ANTH) return []
  const x = m.ANTH
  const broken = x.failed || x.lost
  return [
    judge(
      {
        id: 'anth.added_ttft_p50',
        metric: 'ANTH',
        label: `ANTH POST /v1/messages stream: added time to first event p50 (${x.events} events at ${x.gapMs} ms)`,
        value: broken ? null : x.addedTtftP50,
        display: `${fmtNum(x.addedTtftP50)} ms`,
        budget: '—',
        detail: `direct ${fmtNum(x.direct.ttftP50)} ms, relay ${fmtNum(x.relay.ttftP50)} ms; added gap p99 ${fmtNum(x.addedGapP99)} ms`,
        reason: broken
          ? `${x.failed} failed streams, ${x.lost} lost frames (${x.firstError ?? ''})`
          : undefined,
      },
      { metric: 'ANTH', stability: x.spreadTtftP50, rangeMs: x.rangeTtftP50Ms },
    ),
  ]
}

/** DASH: M1 / M3 with the dashboard's feed connected, against M1 / M3 of the same run. */
export function dashRows(m, judge) {
  if (!m.DASH) return []
  const x = m.DASH
  const within = (a, b) =>
    typeof a === 'number' && typeof b === 'number'
      ? Math.abs(a - b) <= Math.max(FEED_NOISE_MS, 0.25 * Math.abs(b))
      : undefined
  const feedDetail = `the feed received ${x.feedFrames} frames (${x.feedBytes} bytes)`
  const m3Broken = x.M3.failed || x.M3.lost
  return [
    judge(
      {
        id: 'dash.m1_added_p50',
        metric: 'DASH',
        label: 'DASH M1 added p50 with the dashboard feed connected',
        value: x.M1.errors || x.feedFrames === 0 ? null : x.M1.addedP50,
        display: `${fmtNum(x.M1.addedP50)} ms`,
        budget: m.M1 ? `M1 ${fmtNum(m.M1.addedP50)} ms ± noise` : 'M1 ± noise',
        detail: `direct ${fmtNum(x.M1.direct.p50)} ms, relay ${fmtNum(x.M1.relay.p50)} ms, relay CPU ${fmtNum(x.M1.relay.relayCpuMsPerRequest, 3)} ms per request; ${feedDetail}`,
        reason: x.feedFrames === 0 ? 'the feed delivered nothing' : undefined,
      },
      {
        metric: 'DASH',
        stability: x.M1.spreadP50,
        rangeMs: x.M1.rangeP50Ms,
        pass: within(x.M1.addedP50, m.M1?.addedP50),
      },
    ),
    judge(
      {
        id: 'dash.m3_added_ttft_p50',
        metric: 'DASH',
        label: 'DASH M3 added time to first token p50 with the feed connected',
        value: m3Broken ? null : x.M3.addedTtftP50,
        display: `${fmtNum(x.M3.addedTtftP50)} ms`,
        budget: m.M3 ? `M3 ${fmtNum(m.M3.addedTtftP50)} ms ± noise` : 'M3 ± noise',
        detail: `direct ${fmtNum(x.M3.direct.ttftP50)} ms, relay ${fmtNum(x.M3.relay.ttftP50)} ms; noise = ${FEED_NOISE_MS} ms or 25 %`,
        reason: m3Broken ? `${x.M3.failed} failed streams, ${x.M3.lost} lost frames` : undefined,
      },
      {
        metric: 'DASH',
        stability: x.M3.spreadTtftP50,
        rangeMs: x.M3.rangeTtftP50Ms,
        pass: within(x.M3.addedTtftP50, m.M3?.addedTtftP50),
      },
    ),
  ]
}
