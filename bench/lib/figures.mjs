// The report rows of each metric (figure, value, budget, verdict input). report.mjs judges and
// prints them; the budgets are design.md §4, everything else is reported as information.

export const BUDGETS = {
  m1AddedP50Ms: 0.8,
  m3AddedTtftP50Ms: 1.2,
  m4Streams: 2000,
  m4WallVsDirect: 1.3,
  m5PerExtra100MB: 5,
  m5AfterVsIdle: 1.25,
  m5ColdIdleMB: 55,
  cpuPerEventRatio: 2,
  largeAddedMs: 5,
  versionMs: 100,
  statusMs: 150,
  ratelimitNs: 2000,
}

/** Largest direct-arm spread across rounds (max − min over median) accepted before a metric is inconclusive. */
export const MAX_SPREAD = 0.15

export function fmtNum(v, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return v.toFixed(digits)
}

/** The M1 rows. */
export function m1Rows(m, judge) {
  const rows = []
  if (m.M1) {
    const x = m.M1
    const errs = x.errors ? `; ${x.errors} failed requests (${x.firstError})` : ''
    rows.push(
      judge(
        {
          id: 'm1.added_p50',
          metric: 'M1',
          label: 'M1 added p50 latency, non-stream, c=1',
          value: x.errors ? null : x.addedP50,
          display: `${fmtNum(x.addedP50)} ms`,
          budget: `≤ ${BUDGETS.m1AddedP50Ms} ms`,
          detail: `direct ${fmtNum(x.direct.p50)} ms, relay ${fmtNum(x.relay.p50)} ms${errs}`,
          reason: x.errors ? `failed requests: ${x.firstError}` : undefined,
        },
        {
          metric: 'M1',
          stability: x.spreadP50,
          rangeMs: x.rangeP50Ms,
          pass: x.addedP50 <= BUDGETS.m1AddedP50Ms,
        },
      ),
      judge(
        {
          id: 'm1.added_p99',
          metric: 'M1',
          label: 'M1 added p99 latency, non-stream, c=1',
          value: x.errors ? null : x.addedP99,
          display: `${fmtNum(x.addedP99)} ms`,
          budget: '—',
          detail: `direct ${fmtNum(x.direct.p99)} ms, relay ${fmtNum(x.relay.p99)} ms`,
        },
        { metric: 'M1', stability: x.spreadP99, rangeMs: x.rangeP99Ms },
      ),
      judge(
        {
          id: 'm1.relay_cpu',
          metric: 'M1',
          label: 'M1 relay CPU time per non-stream request',
          value: x.relay.relayCpuMsPerRequest,
          display: `${fmtNum(x.relay.relayCpuMsPerRequest, 3)} ms`,
          budget: '—',
          detail: `the emulator spends ${fmtNum(x.direct.emulatorCpuMsPerRequest, 3)} ms per request; /proc CPU ticks of the serving process over a round`,
        },
        { metric: 'M1' },
      ),
    )
  }
  return rows
}

/** The M3 rows. */
export function m3Rows(m, judge) {
  const rows = []
  if (m.M3) {
    const x = m.M3
    const broken = x.failed || x.lost
    const why = broken
      ? `${x.failed} failed streams, ${x.lost} lost frames (${x.firstError ?? ''})`
      : undefined
    rows.push(
      judge(
        {
          id: 'm3.added_ttft_p50',
          metric: 'M3',
          label: `M3 added time to first token p50, stream (${x.events} events at ${x.gapMs} ms)`,
          value: broken ? null : x.addedTtftP50,
          display: `${fmtNum(x.addedTtftP50)} ms`,
          budget: `≤ ${BUDGETS.m3AddedTtftP50Ms} ms`,
          detail: `direct ${fmtNum(x.direct.ttftP50)} ms, relay ${fmtNum(x.relay.ttftP50)} ms`,
          reason: why,
        },
        {
          metric: 'M3',
          stability: x.spreadTtftP50,
          rangeMs: x.rangeTtftP50Ms,
          pass: x.addedTtftP50 <= BUDGETS.m3AddedTtftP50Ms,
        },
      ),
      judge(
        {
          id: 'm3.added_ttft_p99',
          metric: 'M3',
          label: 'M3 added time to first token p99',
          value: broken ? null : x.addedTtftP99,
          display: `${fmtNum(x.addedTtftP99)} ms`,
          budget: '—',
          detail: `direct ${fmtNum(x.direct.ttftP99)} ms, relay ${fmtNum(x.relay.ttftP99)} ms`,
          reason: why,
        },
        { metric: 'M3' },
      ),
      judge(
        {
          id: 'm3.added_gap_p50',
          metric: 'M3',
          label: 'M3 added inter-event gap p50',
          value: broken ? null : x.addedGapP50,
          display: `${fmtNum(x.addedGapP50, 3)} ms`,
          budget: '—',
          detail: `direct ${fmtNum(x.direct.gapP50)} ms, relay ${fmtNum(x.relay.gapP50)} ms`,
          reason: why,
        },
        { metric: 'M3' },
      ),
      judge(
        {
          id: 'm3.added_gap_p99',
          metric: 'M3',
          label: 'M3 added inter-event gap p99',
          value: broken ? null : x.addedGapP99,
          display: `${fmtNum(x.addedGapP99)} ms`,
          budget: '—',
          detail: `direct ${fmtNum(x.direct.gapP99)} ms, relay ${fmtNum(x.relay.gapP99)} ms`,
          reason: why,
        },
        { metric: 'M3', stability: x.spreadGapP99, rangeMs: x.rangeGapP99Ms },
      ),
    )
  }
  return rows
}

/** The M7 rows. */
export function m7Rows(m, judge, result) {
  const rows = []
  if (m.M7) {
    const x = m.M7
    const base = result.baseline?.m7Ratio
    rows.push(
      judge(
        {
          id: 'm7.ratio',
          metric: 'M7',
          label: `M7 streams/s at ${x.connections} connections (${x.events} events, gap 0), relay/direct`,
          value: x.failed || x.lost ? null : x.ratio,
          display: `${fmtNum(x.ratio, 3)}`,
          budget: base ? `baseline ${fmtNum(base, 3)}` : '—',
          detail: `direct ${fmtNum(x.direct, 0)}/s, relay ${fmtNum(x.relay, 0)}/s${x.failed ? `; ${x.failed} failed (${x.firstError})` : ''}`,
          reason:
            x.failed || x.lost
              ? `${x.failed} failed streams, ${x.lost} lost frames: ${x.firstError}`
              : undefined,
        },
        { metric: 'M7', stability: x.spread, pass: base ? x.ratio >= base * 0.9 : undefined },
      ),
      judge(
        {
          id: 'm7.relay_cpu',
          metric: 'M7',
          label: `M7 relay CPU time per stream (${x.events} events)`,
          value: x.relayCpuMsPerStream,
          display: `${fmtNum(x.relayCpuMsPerStream, 3)} ms`,
          budget: '—',
          detail: `the emulator spends ${fmtNum(x.emulatorCpuMsPerStream, 3)} ms per stream`,
        },
        { metric: 'M7' },
      ),
    )
  }
  return rows
}

/**
 * What a start-up row says beside its figure: the runs are without NODE_EXTRA_CA_CERTS (a user's
 * machine), the bare `node -e 0` of the same runs, and the same command with the variable as the
 * bench's environment sets it.
 */
function startupDetail(x, name) {
  if (!x?.floor) return undefined // a result from before the floor was measured
  const parts = [`without NODE_EXTRA_CA_CERTS; bare \`node -e 0\` ${fmtNum(x.floor.ms, 0)} ms`]
  if (x.withExtraCa) {
    const w = x.withExtraCa
    parts.push(
      `with NODE_EXTRA_CA_CERTS=${x.extraCaCerts} (as this environment sets it): ${fmtNum(w[name].ms, 0)} ms, \`node -e 0\` ${fmtNum(w.floor.ms, 0)} ms`,
    )
  } else parts.push('NODE_EXTRA_CA_CERTS is not set here')
  return parts.join('; ')
}

/** The startup rows (judged on the runs without NODE_EXTRA_CA_CERTS; see startupDetail). */
export function startupRows(m, judge) {
  const rows = []
  if (m.startup !== undefined) {
    const x = m.startup
    const na = x?.unavailable
    for (const [name, label, budgetMs] of [
      ['version', '`airelays --version` start-up (median)', BUDGETS.versionMs],
      ['status', '`airelays status` start-up (median)', BUDGETS.statusMs],
    ]) {
      rows.push(
        judge(
          {
            id: `startup.${name}`,
            metric: 'startup',
            label,
            value: na || x[name].failure ? null : x[name].ms,
            display: `${fmtNum(x?.[name]?.ms, 0)} ms`,
            budget: `≤ ${budgetMs} ms`,
            detail: na ? undefined : startupDetail(x, name),
            reason: na ? x.unavailable : x[name].failure,
          },
          { metric: 'startup', pass: x?.[name]?.ms <= budgetMs },
        ),
      )
    }
  }
  return rows
}

/** The ratelimit rows. */
export function ratelimitRows(m, judge) {
  const rows = []
  if (m.ratelimit !== undefined) {
    const x = m.ratelimit
    rows.push(
      judge(
        {
          id: 'ratelimit.ns',
          metric: 'ratelimit',
          label: 'ratelimit take+acquire+release (worst scenario, wall)',
          value: x?.error ? null : x.nsPerOp,
          display: `${fmtNum(x?.nsPerOp, 0)} ns`,
          budget: `< ${BUDGETS.ratelimitNs} ns`,
          detail: x?.error ? undefined : `cpu ${fmtNum(x.cpuNsPerOp, 0)} ns`,
          reason: x?.error,
        },
        { metric: 'ratelimit', pass: x?.nsPerOp < BUDGETS.ratelimitNs },
      ),
    )
  }
  return rows
}

/** The bearer-compare timing figure (B11 A3): information only, never a budget or a gate. */
export function tokenCompareRows(m, judge) {
  if (m.tokenCompare === undefined) return []
  const x = m.tokenCompare
  return [
    judge(
      {
        id: 'a3.token_compare_delta',
        metric: 'tokenCompare',
        label: 'A3 bearer compare: Δ of medians, wrong first vs last byte',
        value: x?.error ? null : x.deltaPct,
        display: `${fmtNum(x?.deltaPct, 2)} % (spread ${fmtNum(x?.deltaSpreadPct, 2)} pts)`,
        budget: '—',
        detail: x?.error
          ? undefined
          : `medians ${fmtNum(x.medianFirstUs)} / ${fmtNum(x.medianLastUs)} µs over ${x.rounds} × ${x.pairs} pairs; the constant-time property is proven by apps/server/test/bearer.test.ts`,
        reason: x?.error,
      },
      { metric: 'tokenCompare' },
    ),
  ]
}

/** The WS rows: a five-turn thread over the Responses WebSocket vs HTTP (information only). */
export function wsRows(m, judge) {
  const rows = []
  if (m.WS) {
    const x = m.WS
    const pct = (a, b) => (b ? `${fmtNum((a / b) * 100, 0)}%` : '—')
    rows.push(
      judge(
        {
          id: 'ws.client_bytes',
          metric: 'WS',
          label: `WS bytes the client sends for a ${x.turns}-turn thread, WebSocket/HTTP`,
          value: x.websocket.clientBytes / x.http.clientBytes,
          display: pct(x.websocket.clientBytes, x.http.clientBytes),
          budget: '—',
          detail: `WebSocket ${x.websocket.perTurn.map((t) => t.clientBytes).join('/')} B, HTTP ${x.http.perTurn.map((t) => t.clientBytes).join('/')} B per turn`,
        },
        { metric: 'WS' },
      ),
      judge(
        {
          id: 'ws.upstream_bytes',
          metric: 'WS',
          label: `WS bytes the relay sends upstream for a ${x.turns}-turn thread, WebSocket/HTTP`,
          value: x.websocket.upstreamBytes / x.http.upstreamBytes,
          display: pct(x.websocket.upstreamBytes, x.http.upstreamBytes),
          budget: '—',
          detail: `WebSocket ${x.websocket.perTurn.map((t) => t.upstreamBytes).join('/')} B, HTTP ${x.http.perTurn.map((t) => t.upstreamBytes).join('/')} B per turn (the upstream is HTTP either way: the relay holds the thread)`,
        },
        { metric: 'WS' },
      ),
      judge(
        {
          id: 'ws.turn_ms',
          metric: 'WS',
          label: `WS time per turn, median, WebSocket vs HTTP`,
          value: x.websocket.msPerTurnP50,
          display: `${fmtNum(x.websocket.msPerTurnP50)} ms`,
          budget: '—',
          detail: `HTTP ${fmtNum(x.http.msPerTurnP50)} ms; per turn WebSocket ${x.websocket.perTurn.map((t) => fmtNum(t.msP50, 1)).join('/')} ms, HTTP ${x.http.perTurn.map((t) => fmtNum(t.msP50, 1)).join('/')} ms`,
        },
        { metric: 'WS' },
      ),
    )
  }
  return rows
}
