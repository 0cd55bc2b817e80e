// The Traffic page: the live list of requests (fed by the relay's event stream), filters, the
// last hour's chart and a request's redacted log records.

import { api, getJson, Unauthorized } from './api'
import { badge, h, type Json, text } from './dom'
import { type ChartMinute, type Entry, formatTokens, renderChart, sseFrames } from './model'
import { every, failed, pageSignal } from './page'

const COLUMNS = [
  'Time',
  'Route',
  'Model',
  'Account',
  'Status',
  'Duration',
  'Tokens in',
  'Tokens out',
  'Cached',
]

/** The page's elements. */
interface TrafficView {
  filterText: HTMLInputElement
  filterStatus: HTMLSelectElement
  live: HTMLElement
  chartHost: HTMLElement
  tbody: HTMLElement
  detail: HTMLElement
}

function layout(main: HTMLElement): TrafficView {
  const filterText = h('input', { id: 'filter', type: 'search', placeholder: 'route, model, account, id' })
  const filterStatus = h(
    'select',
    { id: 'filter-status' },
    h('option', { value: 'all' }, 'all'),
    h('option', { value: 'ok' }, 'successful'),
    h('option', { value: 'error' }, 'errors'),
  )
  const view: TrafficView = {
    filterText: filterText as HTMLInputElement,
    filterStatus: filterStatus as HTMLSelectElement,
    live: h('span', { class: 'live muted', role: 'status', id: 'live' }, 'connecting…'),
    chartHost: h('div', { id: 'chart' }),
    tbody: h('tbody'),
    detail: h('section', { id: 'detail', 'aria-live': 'polite' }),
  }
  const head = h('tr', {}, ...COLUMNS.map((c) => h('th', { scope: 'col' }, c)))
  main.append(
    h('h2', {}, 'Traffic ', view.live),
    h(
      'div',
      { class: 'legend' },
      h('span', {}, h('span', { class: 'sw req', 'aria-hidden': 'true' }), 'requests per minute (bars)'),
      h('span', {}, h('span', { class: 'sw tok', 'aria-hidden': 'true' }), 'tokens per minute (line)'),
    ),
    view.chartHost,
    h(
      'div',
      { class: 'filters' },
      h('label', { for: 'filter' }, 'Filter', filterText),
      h('label', { for: 'filter-status' }, 'Status', filterStatus),
    ),
    h(
      'div',
      { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Requests, scrollable' },
      h('table', { 'aria-label': 'Requests' }, h('thead', {}, head), view.tbody),
    ),
    view.detail,
  )
  return view
}

function isError(e: Entry): boolean {
  return e.status >= 400 || e.outcome !== 'completed'
}

function matches(view: TrafficView, e: Entry): boolean {
  const q = view.filterText.value.trim().toLowerCase()
  const s = view.filterStatus.value
  if (s === 'ok' && isError(e)) return false
  if (s === 'error' && !isError(e)) return false
  if (!q) return true
  return [e.route, e.model, e.account, e.request_id, String(e.status), e.method].some((v) =>
    String(v ?? '')
      .toLowerCase()
      .includes(q),
  )
}

function row(view: TrafficView, e: Entry): HTMLElement {
  const cached =
    e.tokens_in && e.cached_tokens !== null ? `${Math.round((100 * e.cached_tokens) / e.tokens_in)}%` : '—'
  const tr = h(
    'tr',
    { tabindex: '0', 'data-request-id': e.request_id, 'aria-selected': 'false' },
    h('td', {}, new Date(e.finished_at).toLocaleTimeString()),
    h('td', {}, `${e.method} ${e.route}`),
    h('td', {}, text(e.model)),
    h('td', {}, text(e.account)),
    h('td', {}, badge(isError(e) ? 'bad' : 'ok', String(e.status))),
    h('td', {}, e.duration_ms === null ? '—' : `${e.duration_ms} ms`),
    h('td', {}, formatTokens(e.tokens_in)),
    h('td', {}, formatTokens(e.tokens_out)),
    h('td', {}, cached),
  )
  const open = (): void => void showDetail(e, tr, view.detail).catch(failed)
  tr.addEventListener('click', open)
  tr.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault()
      open()
    }
  })
  return tr
}

async function showDetail(e: Entry, tr: HTMLElement, host: HTMLElement): Promise<void> {
  for (const other of document.querySelectorAll('tbody tr')) other.setAttribute('aria-selected', 'false')
  tr.setAttribute('aria-selected', 'true')
  host.replaceChildren(h('h3', {}, `Request ${e.request_id}`))
  const res = await api(`/v1/relay/traffic/${encodeURIComponent(e.request_id)}`)
  const body = (await res.json()) as Json
  if (!res.ok) {
    host.append(
      h('p', { class: 'muted' }, String((body.error as Json | undefined)?.message ?? `HTTP ${res.status}`)),
    )
    return
  }
  host.append(
    h('p', { class: 'muted' }, 'Its records in the traffic log, redacted as they are written to disk.'),
    h('pre', { id: 'detail-records', tabindex: '0' }, JSON.stringify(body.records, null, 2)),
  )
}

/** Count a finished request into the chart's minutes. */
function addToMinutes(minutes: ChartMinute[], entry: Entry): void {
  const at = Date.parse(entry.finished_at)
  const minute = at - (at % 60_000)
  const last = minutes[minutes.length - 1]
  if (last && last.minute === minute) {
    last.requests++
    last.tokens_in += entry.tokens_in ?? 0
    last.tokens_out += entry.tokens_out ?? 0
  } else {
    minutes.push({ minute, requests: 1, tokens_in: entry.tokens_in ?? 0, tokens_out: entry.tokens_out ?? 0 })
  }
}

/** Follow the event stream until the page is left, reconnecting after a break. */
async function follow(view: TrafficView, onEntry: (entry: Entry) => void): Promise<void> {
  const signal = pageSignal()
  while (!signal.aborted) {
    try {
      const res = await api('/v1/relay/traffic/stream', { signal, headers: { accept: 'text/event-stream' } })
      if (!res.ok || !res.body) throw new Error(`The traffic stream answered HTTP ${res.status}.`)
      for await (const frame of sseFrames(res.body)) {
        if (frame.event === 'ready') view.live.textContent = '● live'
        else if (frame.event === 'dropped') view.live.textContent = '● live (some requests were skipped)'
        else if (frame.event === 'request') onEntry(JSON.parse(frame.data) as Entry)
      }
    } catch (error) {
      if (signal.aborted) return
      if (error instanceof Unauthorized) throw error
    }
    view.live.textContent = 'reconnecting…'
    await new Promise((resolve) => setTimeout(resolve, 3000))
  }
}

/** The Traffic page. */
export async function traffic(main: HTMLElement): Promise<void> {
  const view = layout(main)
  const summary = await getJson('/v1/relay/traffic')
  const entries = (summary.recent ?? []) as Entry[]
  const minutes = ((summary.minutes ?? []) as ChartMinute[]).map((m) => ({ ...m }))
  const chart = (): void => void view.chartHost.replaceChildren(renderChart(minutes, Date.now()))
  const draw = (): void => {
    const shown = entries
      .filter((e) => matches(view, e))
      .reverse()
      .slice(0, 500)
    view.tbody.replaceChildren(...shown.map((e) => row(view, e)))
    chart()
  }
  view.filterText.addEventListener('input', draw)
  view.filterStatus.addEventListener('change', draw)
  draw()
  // The stream brings the requests of up to 200 ms at once: the chart is drawn once per batch.
  let chartDue = false
  void follow(view, (entry) => {
    entries.push(entry)
    if (entries.length > 1000) entries.shift()
    addToMinutes(minutes, entry)
    if (matches(view, entry)) view.tbody.prepend(row(view, entry))
    if (chartDue) return
    chartDue = true
    setTimeout(() => {
      chartDue = false
      chart()
    }, 0)
  }).catch(failed)
  every(60_000, chart)
}
