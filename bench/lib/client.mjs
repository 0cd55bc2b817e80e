// The load client: undici (resolved from the workspace, no dependency of its own), one keep-alive
// Agent with no connection cap, and three request shapes: a complete request read to the end, a
// timed SSE stream (arrival time of every text delta), and a light SSE stream for large sweeps.

import { createRequire } from 'node:module'
import { join } from 'node:path'

/** undici from the workspace (apps/server, else packages/upstream-client). */
export function loadUndici(root) {
  for (const owner of ['apps/server/package.json', 'packages/upstream-client/package.json']) {
    try {
      return createRequire(join(root, owner))('undici')
    } catch {}
  }
  throw new Error(
    'undici could not be resolved from apps/server or packages/upstream-client: run `pnpm install`',
  )
}

/**
 * A client bound to one undici Agent. Arms describe where a request goes:
 * { kind: 'direct' | 'relay' | 'anthropic', url, headers, body } — `kind` selects how text deltas
 * are recognised (Responses `response.output_text.delta` events, Chat Completions chunks with
 * content, Anthropic `content_block_delta` events with a `text_delta`).
 */
export function createClient(undici) {
  const agent = new undici.Agent({
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: 30_000 },
  })

  async function send(target, signal) {
    return undici.request(target.url, {
      method: 'POST',
      headers: target.headers,
      body: target.body,
      dispatcher: agent,
      signal,
    })
  }

  /**
   * One request read to the end. Returns { ok, ms, status, error? }; ok means HTTP 200 and a
   * complete answer (a non-empty assistant message for the relay, response.completed for the direct SSE).
   */
  async function complete(target) {
    const t0 = performance.now()
    try {
      const res = await send(target, AbortSignal.timeout(60_000))
      const text = await res.body.text()
      const ms = performance.now() - t0
      if (res.statusCode !== 200) return { ok: false, ms, status: res.statusCode, error: text.slice(0, 200) }
      const ok =
        target.kind === 'direct'
          ? text.includes('event: response.completed')
          : target.kind === 'anthropic'
            ? text.includes('"type":"text"')
            : /"content":"[^"]/.test(text) && text.includes('"choices"')
      return {
        ok,
        ms,
        status: res.statusCode,
        error: ok ? undefined : `incomplete answer: ${text.slice(0, 200)}`,
      }
    } catch (error) {
      return { ok: false, ms: performance.now() - t0, status: 0, error: String(error?.message ?? error) }
    }
  }

  /**
   * One streamed request. Counts SSE frames and text-delta frames, records the time to the first
   * text delta and (with `timings`) the arrival time of each text delta; always records the largest
   * gap between two text deltas. `terminal` is true when the stream ended properly
   * (`data: [DONE]` for the relay, `response.completed` for the direct arm) with no error frame.
   */
  async function stream(target, { timings = false } = {}) {
    const t0 = performance.now()
    const result = {
      ok: false,
      status: 0,
      frames: 0,
      deltas: 0,
      ttft: null,
      maxGap: 0,
      times: timings ? [] : null,
      terminal: false,
      errorFrame: false,
      ms: 0,
      error: undefined,
    }
    const relay = target.kind === 'relay'
    const anthropic = target.kind === 'anthropic'
    try {
      const res = await send(target, AbortSignal.timeout(120_000))
      result.status = res.statusCode
      if (res.statusCode !== 200) {
        result.error = (await res.body.text()).slice(0, 200)
        result.ms = performance.now() - t0
        return result
      }
      let buffer = ''
      let last = null
      for await (const chunk of res.body) {
        const now = performance.now()
        buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8')
        let cut = buffer.indexOf('\n\n')
        if (cut === -1) continue
        let start = 0
        while (cut !== -1) {
          const frame = buffer.slice(start, cut)
          start = cut + 2
          cut = buffer.indexOf('\n\n', start)
          if (frame.trim() === '' || frame.startsWith(':')) continue
          result.frames++
          let isDelta = false
          if (anthropic) {
            if (frame.startsWith('event: content_block_delta')) isDelta = frame.includes('"text_delta"')
            else if (frame.startsWith('event: message_stop')) result.terminal = true
            else if (frame.startsWith('event: error')) result.errorFrame = true
          } else if (relay) {
            if (frame === 'data: [DONE]') result.terminal = true
            else if (frame.includes('"error"')) result.errorFrame = true
            else isDelta = CONTENT.test(frame)
          } else if (frame.startsWith('event: response.output_text.delta')) isDelta = true
          else if (frame.startsWith('event: response.completed')) result.terminal = true
          else if (frame.startsWith('event: error') || frame.startsWith('event: response.failed'))
            result.errorFrame = true
          if (isDelta) {
            result.deltas++
            if (last === null) result.ttft = now - t0
            else if (now - last > result.maxGap) result.maxGap = now - last
            last = now
            if (timings) result.times.push(now)
          }
        }
        buffer = buffer.slice(start)
      }
      result.ms = performance.now() - t0
      result.ok = result.terminal && !result.errorFrame
      if (!result.ok)
        result.error = result.errorFrame ? 'error frame in stream' : 'stream ended without its terminal frame'
    } catch (error) {
      result.ms = performance.now() - t0
      result.error = String(error?.message ?? error)
    }
    return result
  }

  /**
   * A long-lived GET of an SSE feed (the dashboard's traffic stream), read and counted until
   * `close()`. Resolves once the response head arrived; `frames` counts the frames so far.
   */
  async function listen(target) {
    const controller = new AbortController()
    const res = await undici.request(target.url, {
      method: 'GET',
      headers: target.headers,
      dispatcher: agent,
      signal: controller.signal,
    })
    if (res.statusCode !== 200) {
      const text = await res.body.text()
      throw new Error(`feed answered ${res.statusCode}: ${text.slice(0, 200)}`)
    }
    const feed = { frames: 0, bytes: 0, close: () => controller.abort() }
    const done = (async () => {
      try {
        for await (const chunk of res.body) {
          feed.bytes += chunk.length
          feed.frames += chunk.toString('utf8').split('\n\n').length - 1
        }
      } catch {}
    })()
    feed.close = async () => {
      controller.abort()
      await done
    }
    return feed
  }

  return { complete, stream, listen, close: () => agent.close() }
}

// A Chat Completions chunk that carries text: "content":"<at least one character>".
const CONTENT = /"content":"(?:[^"\\]|\\.)/
