// Pure helpers of the dashboard client (no DOM state): usage windows, formatting, the SSE reader
// and the traffic chart.

import type { TrafficEntry, TrafficMinute } from '../feed-types'

type Json = Record<string, unknown>

/** One request as the relay's traffic feed sends it (the server's type, imported type-only). */
export type Entry = TrafficEntry

/** A minute of the chart (the server's {@link TrafficMinute} without its error count). */
export type ChartMinute = Pick<TrafficMinute, 'minute' | 'requests' | 'tokens_in' | 'tokens_out'>

/** A usage window to draw as a bar. */
export interface WindowView {
  label: string
  windowSeconds: number | null
  usedPercent: number | null
  /** Epoch seconds. */
  resetAt: number | null
  limitReached: boolean
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/** "5h", "weekly", "30d", "90m" — from the window's length, never from its slot. */
export function windowName(seconds: number | null, label: unknown): string {
  if (typeof label === 'string' && label !== '') return label
  if (seconds === null) return 'window'
  if (seconds === 604_800) return 'weekly'
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`
  if (seconds % 3600 === 0) return `${seconds / 3600}h`
  return `${Math.ceil(seconds / 60)}m`
}

/**
 * Every window the usage payload carries (default limit, code review, additional limits), named
 * by its `limit_window_seconds` (normalised as `window_seconds`). Absent windows are not invented.
 */
export function windowsOf(usage: Json): WindowView[] {
  const limits = isJson(usage.rate_limits) ? usage.rate_limits : {}
  const groups: { name: string | null; limit: unknown }[] = [
    { name: null, limit: limits.default },
    { name: 'code review', limit: limits.code_review },
  ]
  if (Array.isArray(limits.additional)) {
    for (const extra of limits.additional) {
      if (!isJson(extra)) continue
      const name =
        typeof extra.limit_name === 'string'
          ? extra.limit_name
          : String(extra.metered_feature ?? 'additional')
      groups.push({ name, limit: extra.rate_limit })
    }
  }
  const out: WindowView[] = []
  for (const { name, limit } of groups) {
    if (!isJson(limit)) continue
    for (const slot of ['primary_window', 'secondary_window']) {
      const w = limit[slot]
      if (!isJson(w)) continue
      const seconds = num(w.window_seconds) ?? num(w.limit_window_seconds)
      const base = windowName(seconds, w.window_label)
      out.push({
        label: name ? `${name} · ${base}` : base,
        windowSeconds: seconds,
        usedPercent: num(w.used_percent),
        resetAt: num(w.reset_at),
        limitReached: limit.limit_reached === true || limit.allowed === false,
      })
    }
  }
  return out.sort((a, b) => (a.windowSeconds ?? Infinity) - (b.windowSeconds ?? Infinity))
}

/** "3h 12m", "4m 05s", "now". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return 'now'
  const s = Math.floor(ms / 1000)
  const d = Math.floor(s / 86_400)
  const hh = Math.floor((s % 86_400) / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = s % 60
  if (d > 0) return `${d}d ${hh}h`
  if (hh > 0) return `${hh}h ${String(mm).padStart(2, '0')}m`
  if (mm > 0) return `${mm}m ${String(ss).padStart(2, '0')}s`
  return `${ss}s`
}

/** "1,234" or "—". */
export function formatTokens(n: number | null): string {
  return n === null ? '—' : n.toLocaleString('en-US')
}

/** One server-sent event. */
export interface SseFrame {
  event: string
  data: string
}

/** Read server-sent events from a fetch body (EventSource cannot send a bearer header). */
export async function* sseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let event = 'message'
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
        }
        if (data.length > 0 || event !== 'message') yield { event, data: data.join('\n') }
      }
    }
  } finally {
    reader.releaseLock()
  }
}

const SVG = 'http://www.w3.org/2000/svg'

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  return el
}

/**
 * The last hour as an inline SVG: requests per minute as bars, tokens (in + out) per minute as a
 * line on its own scale. The figures are in the title and in a text summary for screen readers.
 */
export function renderChart(minutes: readonly ChartMinute[], now: number): SVGElement {
  const W = 720
  const H = 140
  const pad = { l: 34, r: 40, t: 10, b: 18 }
  const end = now - (now % 60_000)
  const start = end - 59 * 60_000
  const slots = Array.from({ length: 60 }, (_, i) => ({ minute: start + i * 60_000, requests: 0, tokens: 0 }))
  for (const m of minutes) {
    const i = Math.round((m.minute - start) / 60_000)
    const slot = slots[i]
    if (slot) {
      slot.requests += m.requests
      slot.tokens += m.tokens_in + m.tokens_out
    }
  }
  const maxReq = Math.max(1, ...slots.map((s) => s.requests))
  const maxTok = Math.max(1, ...slots.map((s) => s.tokens))
  const totalReq = slots.reduce((a, s) => a + s.requests, 0)
  const totalTok = slots.reduce((a, s) => a + s.tokens, 0)
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' })
  const title = svg('title', {})
  title.textContent = `Last hour: ${totalReq} requests, ${totalTok} tokens (peak ${maxReq} requests and ${maxTok} tokens a minute).`
  root.append(title)
  const iw = W - pad.l - pad.r
  const ih = H - pad.t - pad.b
  const bw = iw / 60
  root.append(svg('line', { x1: pad.l, y1: pad.t + ih, x2: pad.l + iw, y2: pad.t + ih, class: 'axis' }))
  const points: string[] = []
  slots.forEach((s, i) => {
    const x = pad.l + i * bw
    if (s.requests > 0) {
      const bh = (s.requests / maxReq) * ih
      root.append(
        svg('rect', { x: x + 1, y: pad.t + ih - bh, width: Math.max(1, bw - 2), height: bh, class: 'req' }),
      )
    }
    points.push(`${(x + bw / 2).toFixed(1)},${(pad.t + ih - (s.tokens / maxTok) * ih).toFixed(1)}`)
  })
  if (totalTok > 0) root.append(svg('polyline', { points: points.join(' '), class: 'tok' }))
  const label = (x: number, y: number, text: string, anchor = 'start'): void => {
    const t = svg('text', { x, y, 'text-anchor': anchor })
    t.textContent = text
    root.append(t)
  }
  label(pad.l - 4, pad.t + 8, String(maxReq), 'end')
  label(pad.l - 4, pad.t + ih, '0', 'end')
  label(pad.l + iw + 4, pad.t + 8, maxTok >= 1000 ? `${(maxTok / 1000).toFixed(1)}k` : String(maxTok))
  label(pad.l, H - 4, '−60 min')
  label(pad.l + iw, H - 4, 'now', 'end')
  return root
}
