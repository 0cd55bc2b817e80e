// Regenerates docs/performance.md and its two SVG charts from a benchmark result (the JSON that
// bench/run.mjs writes). Hand-written findings (profiling notes) come from bench/findings.md.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUDGETS } from './report.mjs'
import { renderChart } from './svg.mjs'

const DIRECT = '#2563eb'
const RELAY = '#dc2626'

function num(v, digits = 2) {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits)
}

function cell(text) {
  return String(text ?? '—').replace(/\|/g, '\\|')
}

function latencyChart(result) {
  const c = result.curves ?? {}
  const panels = []
  if (c.m1LatencyMs)
    panels.push({
      title: 'M1 non-stream latency, c=1',
      xLabel: 'percentile',
      yLabel: 'ms',
      xMin: 0,
      xMax: 100,
      series: [
        { name: 'direct to emulator', color: DIRECT, points: c.m1LatencyMs.direct },
        { name: 'through the relay', color: RELAY, points: c.m1LatencyMs.relay },
      ],
    })
  if (c.m3TtftMs)
    panels.push({
      title: 'M3 time to first token, c=1',
      xLabel: 'percentile',
      yLabel: 'ms',
      xMin: 0,
      xMax: 100,
      series: [
        { name: 'direct to emulator', color: DIRECT, points: c.m3TtftMs.direct },
        { name: 'through the relay', color: RELAY, points: c.m3TtftMs.relay },
      ],
    })
  if (c.m3GapMs)
    panels.push({
      title: 'M3 gap between text events, c=1',
      xLabel: 'percentile',
      yLabel: 'ms',
      xMin: 0,
      xMax: 100,
      series: [
        { name: 'direct to emulator', color: DIRECT, points: c.m3GapMs.direct },
        { name: 'through the relay', color: RELAY, points: c.m3GapMs.relay },
      ],
    })
  if (panels.length === 0) return null
  return renderChart({
    title: 'Latency distribution: direct vs through the relay (measured rounds pooled)',
    height: 340,
    panels,
    note: `${result.machine.nproc} × ${result.machine.cpuModel}, node ${result.machine.node}, ${result.date.slice(0, 10)}, git ${String(result.machine.gitSha ?? '').slice(0, 10)}`,
  })
}

function rssChart(result) {
  const m4 = result.measurements?.M4
  if (!m4) return null
  const levels = m4.perLevel.map((r) => r.level)
  const peak = m4.perLevel.map((r) => [r.level, r.relay.peakRssMB])
  const series = [{ name: 'relay RSS peak during the wave', color: RELAY, points: peak, marker: true }]
  const span = [levels[0], levels[levels.length - 1]]
  if (m4.rss.coldIdleMB !== null)
    series.push({
      name: 'relay RSS cold idle',
      color: '#6b7280',
      dash: '5 4',
      points: span.map((l) => [l, m4.rss.coldIdleMB]),
    })
  if (m4.rss.afterMB !== null)
    series.push({
      name: `relay RSS ${Math.round(m4.rss.afterSettleMs / 1000)} s after the load`,
      color: '#059669',
      dash: '2 3',
      points: span.map((l) => [l, m4.rss.afterMB]),
    })
  const wall = [
    {
      name: 'through the relay',
      color: RELAY,
      points: m4.perLevel.map((r) => [r.level, r.relay.wallRatio]),
      marker: true,
    },
    {
      name: 'direct to emulator',
      color: DIRECT,
      points: m4.perLevel.map((r) => [r.level, r.direct.wallRatio]),
      marker: true,
    },
  ]
  return renderChart({
    title: `Concurrent streams (${m4.events} events at ${m4.gapMs} ms each)`,
    height: 340,
    panels: [
      {
        title: 'Relay resident memory',
        xLabel: 'concurrent streams',
        yLabel: 'RSS (MB)',
        xMin: 0,
        xTicks: levels.length > 3 ? [0, ...levels.filter((l) => l >= 100)] : undefined,
        series,
      },
      {
        title: 'Wave wall time / one stream alone',
        xLabel: 'concurrent streams',
        yLabel: '× single stream',
        xMin: 0,
        yMin: 0,
        xTicks: levels.length > 3 ? [0, ...levels.filter((l) => l >= 100)] : undefined,
        series: wall,
      },
    ],
    note: `${result.machine.nproc} × ${result.machine.cpuModel}, node ${result.machine.node}, ${result.date.slice(0, 10)}, git ${String(result.machine.gitSha ?? '').slice(0, 10)}`,
  })
}

function autoFindings(result, figures) {
  const out = []
  const misses = figures.filter((f) => f.verdict === 'MISS')
  const inconclusive = figures.filter((f) => f.verdict === 'inconclusive')
  const judged = figures.filter((f) => f.verdict === 'PASS' || f.verdict === 'MISS')
  out.push(
    `- Budgets judged in this run: ${judged.length} (passed ${judged.length - misses.length}, missed ${misses.length}); figures inconclusive: ${inconclusive.length} of ${figures.length}.`,
  )
  for (const f of misses) out.push(`- **Missed:** ${f.label}: ${f.display} against ${f.budget}.`)
  const byReason = new Map()
  for (const f of inconclusive) byReason.set(f.reason, [...(byReason.get(f.reason) ?? []), f.label])
  for (const [reason, labels] of byReason)
    out.push(
      labels.length === inconclusive.length && labels.length === figures.length
        ? `- **Inconclusive run:** ${reason}; no figure is judged.`
        : `- **Inconclusive** (${reason}): ${labels.join('; ')}.`,
    )
  const m = result.measurements ?? {}
  // Numbers of a metric whose figures were not judged are shown as measured, flagged.
  const flag = (id) =>
    figures.some((f) => f.id === id && f.verdict === 'inconclusive')
      ? ' *(measured, not judged: inconclusive run)*'
      : ''
  if (m.M1)
    out.push(
      `- M1: the relay hop (h3 routing, security gate, request translation, upstream client, aggregation of the SSE answer into one JSON body, traffic log) costs ${num(m.M1.addedP50)} ms at p50 over a ${num(m.M1.direct.p50)} ms direct round trip; the relay process spends ${num(m.M1.relay.relayCpuMsPerRequest, 3)} ms of CPU per request (the emulator ${num(m.M1.direct.emulatorCpuMsPerRequest, 3)} ms).${flag('m1.added_p50')}`,
    )
  if (m.M3)
    out.push(
      `- M3: the relay adds ${num(m.M3.addedTtftP50)} ms to the first token (see the profiling notes for where it goes) and ${num(m.M3.addedGapP50, 3)} ms (p50) / ${num(m.M3.addedGapP99)} ms (p99) to the gap between events.${flag('m3.added_ttft_p50')}`,
    )
  if (m.M4) {
    const top = m.M4.perLevel.at(-1)
    out.push(
      `- M4: at ${top.level} concurrent streams the relay delivered ${top.relay.lost === 0 && top.relay.failed === 0 ? 'every frame of every stream' : `${top.relay.lost} frames short with ${top.relay.failed} failed streams`}; the largest gap between two events of one stream was ${num(top.relay.largestGapMs, 0)} ms (direct ${num(top.direct.largestGapMs, 0)} ms; pacing ${m4Pace(m.M4)} ms), and the wave took ${num(top.relay.wallRatio)}× the time of one stream alone (direct ${num(top.direct.wallRatio)}×).${flag(`m4.streams_${top.level}`)}`,
    )
    const r = m.M4.rss
    out.push(
      `- M5: relay RSS ${num(r.coldIdleMB, 1)} MB cold idle, ${num(r.peakMB[m.M4.top], 1)} MB at ${m.M4.top} streams, ${num(r.afterMB, 1)} MB ${Math.round(r.afterSettleMs / 1000)} s after the load; ${num(r.perExtra100MB)} MB per extra 100 streams.${flag('m5.per_extra_100')}`,
    )
  }
  if (m.M7)
    out.push(
      `- M7: with 50 connections and no pacing, the relay completes ${num(m.M7.relay, 0)} streams/s against ${num(m.M7.direct, 0)} straight from the emulator (ratio ${num(m.M7.ratio, 3)}). This is the CPU cost of re-framing SSE on a 2-core box where client, relay and emulator share the cores, not a user-visible limit.${flag('m7.ratio')}`,
    )
  if (m.M4?.wall)
    out.push(
      `- M4: ${m.M4.wall.level} concurrent streams took ${num(m.M4.wall.relayVsDirect)}× the direct arm's wall time for the same wave.${flag('m4.wall_vs_direct')}`,
    )
  if (m.LONG)
    out.push(
      `- LONG: one ${m.LONG.events}-event stream costs the relay ${num(m.LONG.relay.relayCpuUsPerEvent)} µs of CPU per event against ${num(m.LONG.direct.emulatorCpuUsPerEvent)} µs in the emulator that produced it (${num(m.LONG.cpuRatio)}×); ${m.LONG.lost} frames lost.${flag('long.cpu_per_event')}`,
    )
  if (m.LARGE)
    out.push(
      `- LARGE: a request carrying ${Math.round(m.LARGE.bytes / 1024)} KB of input adds ${num(m.LARGE.nonStream.addedP50)} ms (non-stream, p50) and ${num(m.LARGE.stream.addedTtftP50)} ms to the first streamed event, traffic log on.${flag('large.added_p50')}`,
    )
  if (m.ANTH)
    out.push(
      `- ANTH: the Anthropic route (\`POST /v1/messages\`, stream) adds ${num(m.ANTH.addedTtftP50)} ms to the first event (direct ${num(m.ANTH.direct.ttftP50)} ms).${flag('anth.added_ttft_p50')}`,
    )
  if (m.DASH)
    out.push(
      `- DASH: with the dashboard's traffic feed connected, M1 adds ${num(m.DASH.M1.addedP50)} ms${m.M1 ? ` (without: ${num(m.M1.addedP50)})` : ''} and M3 ${num(m.DASH.M3.addedTtftP50)} ms${m.M3 ? ` (without: ${num(m.M3.addedTtftP50)})` : ''}; the feed received ${m.DASH.feedFrames} frames.${flag('dash.m1_added_p50')}`,
    )
  if (m.WS)
    out.push(
      `- WS: a ${m.WS.turns}-turn Responses thread sends ${num(m.WS.websocket.clientBytes, 0)} bytes from the client over the WebSocket (previous_response_id and only the new item after the first turn) against ${num(m.WS.http.clientBytes, 0)} over HTTP; upstream the relay sends ${num(m.WS.websocket.upstreamBytes, 0)} against ${num(m.WS.http.upstreamBytes, 0)} bytes (the backend is called over HTTP either way, so the relay sends the whole thread). Median time per turn: ${num(m.WS.websocket.msPerTurnP50)} ms over the WebSocket, ${num(m.WS.http.msPerTurnP50)} ms over HTTP.`,
    )
  return out
}

function m4Pace(m4) {
  return m4.gapMs
}

function figureTable(figures) {
  const lines = ['| Figure | Value | Budget | Verdict | Detail |', '| --- | --- | --- | --- | --- |']
  for (const f of figures) {
    const value = f.verdict === 'inconclusive' || f.verdict === 'n/a' ? f.verdict : f.display
    const verdict = f.verdict === 'PASS' ? '**PASS**' : f.verdict === 'MISS' ? '**MISS**' : f.verdict
    const detail = [f.detail, f.verdict === 'inconclusive' || f.verdict === 'n/a' ? f.reason : null]
      .filter(Boolean)
      .join('; ')
    lines.push(
      `| ${cell(f.label)} | ${cell(value)} | ${cell(f.budget)} | ${verdict} | ${cell(detail || '—')} |`,
    )
  }
  return lines.join('\n')
}

function m4Table(m4) {
  const lines = [
    '| Streams | Relay lost / failed | Direct lost / failed | Largest gap relay / direct (ms) | Gap p99 relay / direct (ms) | Wall × one stream relay / direct | Relay RSS peak (MB) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const r of m4.perLevel)
    lines.push(
      `| ${r.level} | ${r.relay.lost} / ${r.relay.failed} | ${r.direct.lost} / ${r.direct.failed} | ${num(r.relay.largestGapMs, 0)} / ${num(r.direct.largestGapMs, 0)} | ${num(r.relay.gapP99, 1)} / ${num(r.direct.gapP99, 1)} | ${num(r.relay.wallRatio)} / ${num(r.direct.wallRatio)} | ${num(r.relay.peakRssMB, 1)} |`,
    )
  return lines.join('\n')
}

function gatesText(result) {
  const g = result.gates
  const lines = [
    `- 1-minute load average when the run started: ${num(g.loadAtStart)} (limit ${g.maxLoad}; waited ${g.waitedSeconds ?? 0} s for it), at the end ${num(g.loadAtEnd)} (our own load included).`,
  ]
  const parts = Object.entries(g.foreign ?? {}).map(
    ([metric, f]) => `${metric} ${num(f.foreignCores)} (own ${num(f.ownCores)}, ${num(f.seconds, 0)} s)`,
  )
  if (parts.length)
    lines.push(
      `- CPU used by other processes during each metric, in cores (limit ${g.maxForeign}): ${parts.join('; ')}.`,
    )
  return lines.join('\n')
}

/** Writes docs/performance.md, docs/performance-latency.svg and docs/performance-rss.svg; returns the paths. */
export function writeDocs(root, result, figures) {
  const docs = join(root, 'docs')
  mkdirSync(docs, { recursive: true })
  const written = []
  const latency = latencyChart(result)
  const rss = rssChart(result)
  if (latency) {
    writeFileSync(join(docs, 'performance-latency.svg'), latency)
    written.push(join(docs, 'performance-latency.svg'))
  }
  if (rss) {
    writeFileSync(join(docs, 'performance-rss.svg'), rss)
    written.push(join(docs, 'performance-rss.svg'))
  }
  const findingsFile = join(root, 'bench/findings.md')
  const manual = existsSync(findingsFile) ? readFileSync(findingsFile, 'utf8').trim() : ''
  const s = result.sizes ?? {}
  const m = result.measurements ?? {}
  const machine = result.machine
  const md = `# Performance

<!-- Generated by bench/lib/docs.mjs from bench/results/latest.json. Do not edit by hand: edit
bench/findings.md (hand-written findings) or the generator, then run \`pnpm bench\` or
\`node bench/run.mjs --docs-from bench/results/latest.json\`. -->

Measured by \`pnpm bench\` on ${result.date.slice(0, 10)} at git \`${String(machine.gitSha ?? 'unknown').slice(0, 12)}\`
(${result.mode} run, relay started as \`${result.relay?.command ?? '—'}\`).
Budgets are those of the design (§4 Quality bar) as tightened by issue 23 ("Performance at the
limit"); a budget this run did not measure is listed as *not measured*. Every figure compares the relay with the
upstream emulator reached directly, measured in the same run.

## Results

${figureTable(figures)}

Verdicts: **PASS** / **MISS** against the budget; *info* where the design sets no budget;
*inconclusive* when the machine was busy with other work or the direct arm itself was unstable
(then no figure is judged; the raw rounds stay in \`bench/results/latest.json\`).

![Latency distribution, direct vs relay](performance-latency.svg)

![Relay RSS and wall time against concurrent streams](performance-rss.svg)
${m.M4 ? `\n### Concurrent streams (M4) and relay memory (M5)\n\n${m4Table(m.M4)}\n` : ''}
## Findings

${autoFindings(result, figures).join('\n')}
${manual ? `\n${manual}\n` : ''}
## Method

The benchmark follows the protocol of the performance notes (A5), scaled to a run of a few
minutes on a 2-core machine.

- **Processes.** \`bench/run.mjs\` starts the upstream emulator
  (\`airelays-upstream-emulator --port 0 --json\`) and the relay (\`${result.relay?.command ?? 'airelays serve'}\`,
  a throw-away data directory holding a login issued by the emulator, \`AIRELAYS_AUTH_STORAGE=file\`,
  a relay token, rate limits raised so the limiter admits the load; traffic log on, as by default)
  as separate processes. The load client is undici (from the workspace) in the benchmark process,
  one keep-alive agent without a connection cap.
- **Arms.** *direct*: the client sends to the emulator's \`/backend-api/codex/responses\` the exact
  upstream request (body and headers) the relay produced for the same chat request, captured from
  the emulator's recording, and reads the SSE answer to the end. *relay*: the client sends
  \`POST /v1/chat/completions\` to the relay. Upstream pacing is set per request through the
  emulator's control API (one \`pace\` behaviour per request), identical for both arms.
- **Order.** One warm-up round per arm, then measured rounds per arm (${Object.entries(result.rounds ?? {})
    .map(([m, n]) => `${m} ${n}`)
    .join(', ')}), interleaved
  direct/relay, relay/direct, … (A B B A). Each figure is the median over rounds; an *added*
  figure is the median of the per-round differences relay − direct.
- **Refusals.** A figure is *inconclusive* when the 1-minute load average exceeded ${result.gates.maxLoad} at the start
  (after waiting up to ${result.gates.waitedSeconds !== undefined ? 'the configured time' : '120 s'} for it to drop), when
  processes other than the benchmark's own used more than ${result.gates.maxForeign} cores during that metric
  (from /proc/stat minus the CPU time of the benchmark, emulator and relay processes), or when the
  direct arm's spread across rounds ((max − min) / median) exceeded ${(result.gates.maxSpread * 100).toFixed(0)}% (for millisecond figures only when max − min is also at least ${result.gates.spreadFloorMs ?? 0} ms: below that, the scheduling jitter of a small VM, it cannot move a budget). M4 at the top level is
  *rig-bound* (inconclusive) when the direct arm loses frames too.
- **Pinning:** ${result.pinning} (client, emulator and relay share both cores, as on a user's machine).

| # | Workload | Size in this run |
| --- | --- | --- |
| M1 | non-stream chat completion, concurrency 1; direct = the Responses SSE request read to the end | ${s.M1 ? `${s.M1.n} requests per round, ${s.M1.warmup} in the warm-up round` : 'not run'} |
| M3 | streamed chat completion, concurrency 1; time to the first text event, gaps between text events | ${s.M3 ? `${s.M3.n} streams per round, ${s.M3.events} events at ${s.M3.gapMs} ms` : 'not run'} |
| M4 | waves of concurrent streams; a frame is lost when a stream has fewer text events than the emulator sent; failed = no terminal frame (\`[DONE]\` / \`response.completed\`) or an error frame; wall time of the relay wave against the direct wave of the same round | ${s.M4 ? `${s.M4.levels.join(' / ')} streams, ${s.M4.events} events at ${s.M4.gapMs} ms, one warm-up wave per arm at ${s.M4.levels[0]}` : 'not run'} |
| M5 | relay VmRSS from /proc every 50 ms: cold idle (1 s after start, before any request; the relay runs without \`NODE_EXTRA_CA_CERTS\`, as for start-up: it reads no CA bundle, its upstream being the loopback emulator, and the figure with the variable is in the detail), peak per M4 level (median over the measured relay waves of the highest RSS sampled during each wave), after the sweep against warm idle (read after the warm-up waves, before the sweep); per extra 100 streams = (peak₁₀₀₀ − peak₁₀₀) / 9 | ${s.M4 ? `settle ${Math.round(s.M4.settleMs / 1000)} s before "after"` : 'not run'} |
| M7 | streams per second, 50 concurrent connections, no pacing; ratio relay / direct | ${s.M7 ? `${s.M7.n} streams per round (warm-up ${s.M7.warmup}), ${s.M7.events} events` : 'not run'} |
| LONG | one stream of many text events, no pacing; CPU time of the serving process per event (relay against the emulator that produced the events) | ${s.LONG ? `${s.LONG.events} events` : 'not run'} |
| LARGE | a chat request carrying a large user message (a long Codex session sends its whole history each turn), non-stream (added p50, as M1) and stream (added time to first event, as M3), traffic log on | ${s.LARGE ? `${Math.round(s.LARGE.bytes / 1024)} KB, ${s.LARGE.n} requests and ${s.LARGE.streams} streams per round` : 'not run'} |
| ANTH | \`POST /v1/messages\` stream (Anthropic Messages, Claude Code's route), concurrency 1, as M3; direct = the Responses request the relay sent | ${s.ANTH ? `${s.ANTH.n} streams per round, ${s.ANTH.events} events at ${s.ANTH.gapMs} ms` : 'not run'} |
| DASH | M1 and M3 again while \`GET /v1/relay/traffic/stream\` (the dashboard's live feed) is connected; judged against M1 / M3 of the same run (unchanged within ${'0.25'} ms or 25 %) | ${s.DASH ? `${s.DASH.M1.n} requests and ${s.DASH.M3.n} streams per round` : 'not run'} |
| WS | one ${s.WS ? s.WS.turns : 5}-turn \`/v1/responses\` thread with a 20 KB first turn, over HTTP (whole history each turn) and over one WebSocket (\`previous_response_id\`); bytes from the client, bytes upstream (the emulator's recording), time per turn | ${s.WS ? `${s.WS.rounds} threads per transport after one warm-up thread each` : 'not run'} |
| start-up | a bare \`node -e 0\` (Node's own start, the floor), \`airelays --version\` and \`airelays status\` (logged in against the emulator, so it reads the usage and the catalog), spawned one after the other in interleaved rounds, median. Judged on the runs with \`NODE_EXTRA_CA_CERTS\` removed from the child's environment: a user's machine normally does not set it, and where it names a CA bundle Node parses every certificate of it before any code runs (≈ 75 ms for the ~140 of a system bundle on this machine kind). When the bench's environment sets it, the three are measured again with it and shown in the detail | ${s.startup ? `${s.startup.n} rounds per environment after one warm-up` : 'not run'} |
| ratelimit | \`node bench/ratelimit.bench.mjs --json\` (the @airelays/ratelimit microbenchmark), worst take+acquire+release scenario | ${s.ratelimit ? 'default iterations' : 'not run'} |

Refusal checks of this run:

${gatesText(result)}

## Machine

| | |
| --- | --- |
| CPU | ${machine.nproc} × ${cell(machine.cpuModel)} |
| Memory | ${machine.totalMemoryMB} MB |
| Node | ${machine.node} (${machine.platform}) |
| git | \`${machine.gitSha ?? 'unknown'}\` |
| Date | ${result.date} |
| Pinning | ${result.pinning} |

## Reproduce

\`\`\`sh
pnpm bench                                  # build, full run (about ${s.M4 ? 'ten to twelve' : 'a few'} minutes), rewrites this page
node bench/run.mjs --only M1,M3 --rounds 5  # a subset; result in bench/results/partial.json
node bench/run.mjs --smoke                  # seconds; checks the harness (CI)
node bench/run.mjs --only M4 --profile /tmp/prof   # relay under --cpu-prof, hottest functions printed
\`\`\`

MB here means MiB (2²⁰ bytes), as /proc reports RSS in KiB.
`
  writeFileSync(join(docs, 'performance.md'), md)
  written.unshift(join(docs, 'performance.md'))
  return written
}

export { BUDGETS }
