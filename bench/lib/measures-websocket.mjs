// WS: a five-turn Responses thread through the relay, over HTTP (`POST /v1/responses`, the whole
// thread every turn) and over the Responses WebSocket (one connection; `previous_response_id` and
// only the new item after the first turn). Bytes the client sends, bytes the relay sends upstream
// (read back from the emulator's recording) and time per turn. Information only, never a gate.

import { emulatorControl } from './processes.mjs'
import { median, round } from './stats.mjs'

/** A Codex-sized first turn: a long developer prompt (about 20 KB), then the user's message. */
function firstInput() {
  const prompt = 'You are a coding agent. Follow the repository conventions closely. '.repeat(300)
  return [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: prompt }] },
    userItem(0),
  ]
}

function userItem(turn) {
  return {
    type: 'message',
    role: 'user',
    content: [{ type: 'input_text', text: `Reply with exactly: turn ${turn + 1} done` }],
  }
}

const BODY = { model: 'gpt-5.5', stream: true, store: false }

/** The output items of a `response.completed` event. */
function outputOf(completed) {
  return Array.isArray(completed?.response?.output) ? completed.response.output : []
}

/** One thread over HTTP: every turn posts the whole history. */
async function httpThread(ctx, turns) {
  let input = firstInput()
  const out = []
  for (let t = 0; t < turns; t++) {
    const body = JSON.stringify({ ...BODY, input })
    const started = performance.now()
    const res = await fetch(`${ctx.relay.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.home.token}`, 'content-type': 'application/json' },
      body,
    })
    const text = await res.text()
    const ms = performance.now() - started
    if (res.status !== 200) throw new Error(`HTTP turn ${t + 1}: ${res.status} ${text.slice(0, 200)}`)
    const completed = text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => JSON.parse(line.slice(5)))
      .find((event) => event.type === 'response.completed')
    if (!completed) throw new Error(`HTTP turn ${t + 1}: no response.completed`)
    out.push({ clientBytes: Buffer.byteLength(body), ms })
    input = [...input, ...outputOf(completed), userItem(t + 1)]
  }
  return out
}

/** One thread over one WebSocket: after the first turn only the new user item is sent. */
async function socketThread(ctx, turns) {
  const ws = new ctx.undici.WebSocket(`${ctx.relay.url.replace(/^http/, 'ws')}/v1/responses`, {
    headers: { authorization: `Bearer ${ctx.home.token}` },
  })
  const queue = []
  let wake = null
  let failure = null
  ws.addEventListener('message', (event) => {
    queue.push(JSON.parse(String(event.data)))
    wake?.()
  })
  ws.addEventListener('error', () => {
    failure = new Error('WebSocket error')
    wake?.()
  })
  ws.addEventListener('close', (event) => {
    failure ??= new Error(`WebSocket closed (${event.code})`)
    wake?.()
  })
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true })
    ws.addEventListener('error', () => reject(new Error('WebSocket handshake failed')), { once: true })
  })
  const next = async () => {
    for (;;) {
      if (queue.length > 0) return queue.shift()
      if (failure) throw failure
      await new Promise((resolve) => {
        wake = resolve
      })
      wake = null
    }
  }
  const out = []
  let previous = null
  try {
    for (let t = 0; t < turns; t++) {
      const frame = JSON.stringify({
        type: 'response.create',
        ...BODY,
        ...(previous ? { previous_response_id: previous } : {}),
        input: previous ? [userItem(t)] : firstInput(),
      })
      const started = performance.now()
      ws.send(frame)
      let completed = null
      while (!completed) {
        const event = await next()
        if (event.type === 'error') throw new Error(`WebSocket turn ${t + 1}: ${JSON.stringify(event)}`)
        if (event.type === 'response.completed') completed = event
      }
      out.push({ clientBytes: Buffer.byteLength(frame), ms: performance.now() - started })
      previous = completed.response.id
    }
  } finally {
    ws.close(1000)
  }
  return out
}

/** Bytes of the last `turns` upstream `/responses` bodies the emulator recorded. */
async function upstreamBytes(ctx, turns) {
  const requests = await emulatorControl(ctx.emulator, 'GET', 'requests')
  return requests
    .filter((r) => r.route === 'responses')
    .slice(-turns)
    .map((r) => Buffer.byteLength(JSON.stringify(r.body)))
}

/** WS: both transports, `rounds` threads each (after one warm-up thread each), interleaved. */
export async function measureWebSocketThread(ctx, { turns, rounds }) {
  const arms = { http: httpThread, websocket: socketThread }
  const samples = { http: [], websocket: [] }
  for (let r = -1; r < rounds; r++) {
    for (const [arm, run] of Object.entries(arms)) {
      await emulatorControl(ctx.emulator, 'POST', 'reset')
      const perTurn = await run(ctx, turns)
      const upstream = await upstreamBytes(ctx, turns)
      if (r >= 0) samples[arm].push(perTurn.map((turn, i) => ({ ...turn, upstreamBytes: upstream[i] })))
      ctx.log(
        `    WS ${arm.padEnd(9)} round ${r < 0 ? 'warm-up' : r + 1}: client bytes ${perTurn.map((t) => t.clientBytes).join('/')}, ms ${perTurn.map((t) => Math.round(t.ms)).join('/')}`,
      )
    }
  }
  const summary = (arm) => {
    const perTurn = Array.from({ length: turns }, (_, i) => ({
      clientBytes: samples[arm][0][i].clientBytes,
      upstreamBytes: samples[arm][0][i].upstreamBytes,
      msP50: round(median(samples[arm].map((thread) => thread[i].ms))),
    }))
    return {
      perTurn,
      clientBytes: perTurn.reduce((sum, t) => sum + t.clientBytes, 0),
      upstreamBytes: perTurn.reduce((sum, t) => sum + t.upstreamBytes, 0),
      msPerTurnP50: round(median(samples[arm].flatMap((thread) => thread.map((t) => t.ms)))),
    }
  }
  return { turns, rounds, http: summary('http'), websocket: summary('websocket') }
}
