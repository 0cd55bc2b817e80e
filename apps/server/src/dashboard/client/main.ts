// The AIRelays dashboard: plain TypeScript and DOM, bundled by esbuild into one script served by
// the relay. It talks only to its own origin, with the relay token from sessionStorage as a bearer
// header. Nothing here is secret; nothing secret is written into the page by the server.

import { type Entry, formatDuration, formatTokens, renderChart, sseFrames, windowsOf } from './model'

type Json = Record<string, unknown>
type Child = Node | string | null | undefined | false
type Page = 'overview' | 'traffic' | 'accounts' | 'setup'

const root = document.documentElement
const BASE = root.dataset.base ?? ''
const NEEDS_TOKEN = root.dataset.auth !== 'open'
const TOKEN_KEY = 'airelays.dashboard.token'
const PAGES: { id: Page; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'traffic', label: 'Traffic' },
  { id: 'accounts', label: 'Accounts' },
  { id: 'setup', label: 'Setup' },
]

function h(
  tag: string,
  attrs: Record<string, string | boolean | null | undefined> = {},
  ...children: Child[]
): HTMLElement {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue
    el.setAttribute(name, value === true ? '' : value)
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child)
  return el
}

function text(value: unknown): string {
  return value === null || value === undefined || value === '' ? '—' : String(value)
}

function dl(rows: [string, Child][]): HTMLElement {
  const list = h('dl')
  for (const [term, value] of rows) list.append(h('dt', {}, term), h('dd', {}, value ?? '—'))
  return list
}

// ---- API

class Unauthorized extends Error {}

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY)
}

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  const t = token()
  if (t) headers.set('authorization', `Bearer ${t}`)
  const res = await fetch(`${BASE}${path}`, { ...init, headers, cache: 'no-store', credentials: 'omit' })
  if (res.status === 401) throw new Unauthorized('The relay refused the token.')
  return res
}

async function getJson(path: string): Promise<Json> {
  const res = await api(path)
  const body = (await res.json().catch(() => ({}))) as Json
  if (!res.ok) {
    const error = body.error as Json | undefined
    throw new Error(String(error?.message ?? `HTTP ${res.status}`))
  }
  return body
}

// ---- shell

const app = document.getElementById('app') as HTMLElement
const state: { page: Page; timers: number[]; streamAbort: AbortController | null; entries: Entry[] } = {
  page: 'overview',
  timers: [],
  streamAbort: null,
  entries: [],
}

function stopPage(): void {
  for (const t of state.timers) clearInterval(t)
  state.timers = []
  state.streamAbort?.abort()
  state.streamAbort = null
}

function every(ms: number, fn: () => void): void {
  state.timers.push(window.setInterval(fn, ms))
}

function failed(error: unknown): void {
  if (error instanceof Unauthorized) {
    sessionStorage.removeItem(TOKEN_KEY)
    showLogin('The relay refused that token. Enter the current one.')
    return
  }
  const main = document.querySelector('main')
  main?.prepend(
    h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)),
  )
}

function showLogin(message = ''): void {
  stopPage()
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
  }) as HTMLInputElement
  const form = h(
    'form',
    { 'aria-describedby': 'token-help' },
    h('label', { for: 'token' }, 'Relay token', input),
    h(
      'p',
      { id: 'token-help', class: 'muted' },
      'Print it with ',
      h('code', {}, 'airelays token show --raw'),
      '. It is kept for this tab only (sessionStorage) and sent as a bearer header.',
    ),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    h('button', { type: 'submit', class: 'btn' }, 'Open the dashboard'),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const value = input.value.trim()
    if (!value) return
    sessionStorage.setItem(TOKEN_KEY, value)
    void api('/v1/relay/traffic')
      .then((res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
        showApp()
      })
      .catch((error: unknown) => {
        sessionStorage.removeItem(TOKEN_KEY)
        showLogin(error instanceof Unauthorized ? 'The relay refused that token.' : String(error))
      })
  })
  app.replaceChildren(h('main', { class: 'login' }, h('h1', {}, 'AIRelays dashboard'), form))
  input.focus()
}

function pageFromHash(): Page {
  const id = location.hash.replace(/^#\/?/, '')
  return PAGES.some((p) => p.id === id) ? (id as Page) : 'overview'
}

function showApp(): void {
  const nav = h('nav', { 'aria-label': 'Dashboard pages' })
  for (const p of PAGES) {
    const button = h('button', { type: 'button', 'data-page': p.id }, p.label)
    button.addEventListener('click', () => {
      location.hash = `#${p.id}`
    })
    nav.append(button)
  }
  const signOut = h('button', { type: 'button', class: 'btn' }, 'Forget token')
  signOut.addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY)
    showLogin()
  })
  const main = h('main', { id: 'main', tabindex: '-1' })
  app.replaceChildren(h('header', {}, h('h1', {}, 'AIRelays'), nav, NEEDS_TOKEN ? signOut : null), main)
  render()
}

function render(): void {
  stopPage()
  state.page = pageFromHash()
  for (const button of document.querySelectorAll('nav button')) {
    if ((button as HTMLElement).dataset.page === state.page) button.setAttribute('aria-current', 'page')
    else button.removeAttribute('aria-current')
  }
  const main = document.getElementById('main')
  if (!main) return
  main.replaceChildren()
  const page = PAGES.find((p) => p.id === state.page)
  document.title = `${page?.label ?? ''} · AIRelays`
  const run = { overview, traffic, accounts, setup }[state.page]
  run(main).catch(failed)
}

// ---- Overview

function usageCard(title: string, usage: Json | null, error: string | null): HTMLElement {
  const card = h('section', { class: 'card', 'aria-label': title }, h('h3', {}, title))
  if (error) {
    card.append(h('p', { class: 'error' }, error))
    return card
  }
  if (!usage) return card
  const account = (usage.account ?? {}) as Json
  const credits = usage.credits as Json | null
  const windows = windowsOf(usage)
  const limited = windows.some((w) => w.limitReached)
  card.append(
    dl([
      ['Plan', text(account.plan_type)],
      [
        'Limit state',
        h('span', { class: `badge ${limited ? 'bad' : 'ok'}` }, limited ? 'limit reached' : 'within limits'),
      ],
      [
        'Credits',
        credits
          ? credits.unlimited === true
            ? 'unlimited'
            : `${text(credits.balance)}${credits.has_credits === false ? ' (none)' : ''}`
          : '—',
      ],
    ]),
  )
  if (windows.length === 0) card.append(h('p', { class: 'muted' }, 'The upstream reported no usage window.'))
  for (const w of windows) {
    const used = w.usedPercent ?? 0
    const level = used >= 90 ? 'bad' : used >= 70 ? 'warn' : 'ok'
    const fill = h('span')
    fill.style.width = `${Math.min(100, Math.max(0, used))}%`
    const countdown = h('span', { class: 'muted countdown' })
    const tick = (): void => {
      countdown.textContent =
        w.resetAt === null
          ? 'reset time unknown'
          : `resets in ${formatDuration(w.resetAt * 1000 - Date.now())}`
    }
    tick()
    every(1000, tick)
    card.append(
      h(
        'div',
        { class: 'window', 'data-window-seconds': w.windowSeconds === null ? null : String(w.windowSeconds) },
        h(
          'div',
          { class: 'window-head' },
          h('strong', {}, w.label),
          h('span', {}, `${w.usedPercent === null ? '?' : w.usedPercent.toFixed(0)}% used`),
        ),
        h(
          'div',
          {
            class: `bar ${level}`,
            role: 'progressbar',
            'aria-label': `${w.label} used`,
            'aria-valuemin': '0',
            'aria-valuemax': '100',
            'aria-valuenow': String(Math.round(used)),
          },
          fill,
        ),
        countdown,
      ),
    )
  }
  return card
}

async function overview(main: HTMLElement): Promise<void> {
  main.append(h('h2', {}, 'Overview'))
  const usageHost = h('div', { class: 'grid', id: 'usage' })
  const healthHost = h('div', { class: 'grid', id: 'health' })
  main.append(h('h3', {}, 'Usage'), usageHost, h('h3', {}, 'Relay'), healthHost)
  const load = async (): Promise<void> => {
    const [status, traffic, usage, models] = await Promise.all([
      getJson('/v1/relay/status'),
      getJson('/v1/relay/traffic'),
      getJson('/v1/subscription/status').then(
        (u) => ({ usage: u, error: null }),
        (e: unknown) => {
          if (e instanceof Unauthorized) throw e
          return { usage: null, error: e instanceof Error ? e.message : String(e) }
        },
      ),
      getJson('/v1/models').catch((e: unknown) => {
        if (e instanceof Unauthorized) throw e
        return { data: [] }
      }),
    ])
    stopTimersOnly()
    const accounts = Array.isArray(status.accounts) ? (status.accounts as Json[]) : null
    usageHost.replaceChildren()
    if (accounts && accounts.length > 0) {
      for (const a of accounts) {
        usageHost.append(usageCard(text(a.label ?? a.email ?? a.id), (a.usage as Json) ?? null, null))
      }
    } else {
      const auth = (status.auth ?? {}) as Json
      usageHost.append(usageCard(text(auth.email ?? 'ChatGPT account'), usage.usage, usage.error))
    }
    const lastHour = (traffic.last_hour ?? {}) as Json
    const ids = ((models.data ?? []) as Json[]).map((m) => String(m.id))
    const ready = (status.ready ?? {}) as Json
    healthHost.replaceChildren(
      h(
        'section',
        { class: 'card', 'aria-label': 'Relay health' },
        h('h3', {}, 'Health'),
        dl([
          ['Version', text(traffic.version)],
          ['Uptime', formatDuration(Number(traffic.uptime_seconds) * 1000)],
          ['Requests served', text(traffic.requests_total)],
          ['In flight', text(traffic.in_flight)],
          [
            'Errors, last hour',
            h(
              'span',
              { class: `badge ${Number(lastHour.errors) > 0 ? 'warn' : 'ok'}` },
              `${text(lastHour.errors)} of ${text(lastHour.requests)}`,
            ),
          ],
          [
            'Upstream login',
            h(
              'span',
              { class: `badge ${ready.upstream_auth ? 'ok' : 'bad'}` },
              ready.upstream_auth ? 'ready' : 'not ready',
            ),
          ],
        ]),
      ),
      h(
        'section',
        { class: 'card', 'aria-label': 'Client and models' },
        h('h3', {}, 'Client and models'),
        dl([
          ['Client version', text(traffic.client_version)],
          ['Models callable', ids.length === 0 ? '—' : h('span', { id: 'models' }, ids.join(', '))],
        ]),
      ),
    )
  }
  await load()
  every(30_000, () => void load().catch(failed))
}

function stopTimersOnly(): void {
  for (const t of state.timers) clearInterval(t)
  state.timers = []
}

// ---- Traffic

async function traffic(main: HTMLElement): Promise<void> {
  const filterText = h('input', {
    id: 'filter',
    type: 'search',
    placeholder: 'route, model, account, id',
  }) as HTMLInputElement
  const filterStatus = h(
    'select',
    { id: 'filter-status' },
    h('option', { value: 'all' }, 'all'),
    h('option', { value: 'ok' }, 'successful'),
    h('option', { value: 'error' }, 'errors'),
  ) as HTMLSelectElement
  const live = h('span', { class: 'live muted', role: 'status', id: 'live' }, 'connecting…')
  const chartHost = h('div', { id: 'chart' })
  const tbody = h('tbody')
  const detail = h('section', { id: 'detail', 'aria-live': 'polite' })
  main.append(
    h('h2', {}, 'Traffic ', live),
    h(
      'div',
      { class: 'legend' },
      h('span', {}, h('span', { class: 'sw req' }), 'requests per minute'),
      h('span', {}, h('span', { class: 'sw tok' }), 'tokens per minute'),
    ),
    chartHost,
    h(
      'div',
      { class: 'filters' },
      h('label', { for: 'filter' }, 'Filter', filterText),
      h('label', { for: 'filter-status' }, 'Status', filterStatus),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { 'aria-label': 'Requests' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...[
              'Time',
              'Route',
              'Model',
              'Account',
              'Status',
              'Duration',
              'Tokens in',
              'Tokens out',
              'Cached',
            ].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        tbody,
      ),
    ),
    detail,
  )

  const summary = await getJson('/v1/relay/traffic')
  state.entries = (summary.recent ?? []) as Entry[]
  let minutes = (summary.minutes ?? []) as {
    minute: number
    requests: number
    tokens_in: number
    tokens_out: number
  }[]

  const matches = (e: Entry): boolean => {
    const q = filterText.value.trim().toLowerCase()
    const s = filterStatus.value
    if (s === 'ok' && (e.status >= 400 || e.outcome !== 'completed')) return false
    if (s === 'error' && e.status < 400 && e.outcome === 'completed') return false
    if (!q) return true
    return [e.route, e.model, e.account, e.request_id, String(e.status), e.method].some((v) =>
      String(v ?? '')
        .toLowerCase()
        .includes(q),
    )
  }
  const row = (e: Entry): HTMLElement => {
    const error = e.status >= 400 || e.outcome !== 'completed'
    const cached =
      e.tokens_in && e.cached_tokens !== null ? `${Math.round((100 * e.cached_tokens) / e.tokens_in)}%` : '—'
    const tr = h(
      'tr',
      { tabindex: '0', 'data-request-id': e.request_id, 'aria-selected': 'false' },
      h('td', {}, new Date(e.finished_at).toLocaleTimeString()),
      h('td', {}, `${e.method} ${e.route}`),
      h('td', {}, text(e.model)),
      h('td', {}, text(e.account)),
      h('td', {}, h('span', { class: `badge ${error ? 'bad' : 'ok'}` }, `${e.status}${error ? ' ✕' : ' ✓'}`)),
      h('td', {}, e.duration_ms === null ? '—' : `${e.duration_ms} ms`),
      h('td', {}, formatTokens(e.tokens_in)),
      h('td', {}, formatTokens(e.tokens_out)),
      h('td', {}, cached),
    )
    const open = (): void => void showDetail(e, tr, detail).catch(failed)
    tr.addEventListener('click', open)
    tr.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault()
        open()
      }
    })
    return tr
  }
  const draw = (): void => {
    tbody.replaceChildren(...state.entries.filter(matches).reverse().slice(0, 500).map(row))
    chartHost.replaceChildren(renderChart(minutes, Date.now()))
  }
  filterText.addEventListener('input', draw)
  filterStatus.addEventListener('change', draw)
  draw()

  const abort = new AbortController()
  state.streamAbort = abort
  const connect = async (): Promise<void> => {
    const res = await api('/v1/relay/traffic/stream', {
      signal: abort.signal,
      headers: { accept: 'text/event-stream' },
    })
    if (!res.ok || !res.body) throw new Error(`The traffic stream answered HTTP ${res.status}.`)
    for await (const frame of sseFrames(res.body)) {
      if (frame.event === 'ready') live.textContent = '● live'
      else if (frame.event === 'dropped') live.textContent = '● live (some requests were skipped)'
      else if (frame.event === 'request') {
        const entry = JSON.parse(frame.data) as Entry
        state.entries.push(entry)
        if (state.entries.length > 1000) state.entries.shift()
        const at = Date.parse(entry.finished_at)
        const minute = at - (at % 60_000)
        const last = minutes[minutes.length - 1]
        if (last && last.minute === minute) {
          last.requests++
          last.tokens_in += entry.tokens_in ?? 0
          last.tokens_out += entry.tokens_out ?? 0
        } else {
          minutes = [
            ...minutes,
            { minute, requests: 1, tokens_in: entry.tokens_in ?? 0, tokens_out: entry.tokens_out ?? 0 },
          ]
        }
        if (matches(entry)) tbody.prepend(row(entry))
        chartHost.replaceChildren(renderChart(minutes, Date.now()))
      }
    }
  }
  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        await connect()
      } catch (error) {
        if (abort.signal.aborted) return
        if (error instanceof Unauthorized) throw error
      }
      live.textContent = 'reconnecting…'
      await new Promise((resolve) => setTimeout(resolve, 3000))
    }
  }
  void loop().catch(failed)
  every(60_000, () => chartHost.replaceChildren(renderChart(minutes, Date.now())))
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

// ---- Accounts

async function accounts(main: HTMLElement): Promise<void> {
  main.append(h('h2', {}, 'Accounts'))
  const host = h('div', { class: 'grid', id: 'accounts' })
  const refresh = h('button', { type: 'button', class: 'btn' }, 'Refresh limits')
  main.append(h('p', {}, refresh), host)
  const load = async (): Promise<void> => {
    const [status, usage] = await Promise.all([
      getJson('/v1/relay/status'),
      getJson('/v1/subscription/status').catch((e: unknown) => {
        if (e instanceof Unauthorized) throw e
        return null
      }),
    ])
    stopTimersOnly()
    const list = Array.isArray(status.accounts)
      ? (status.accounts as Json[])
      : [{ ...((status.auth ?? {}) as Json), usage }]
    host.replaceChildren()
    for (const a of list) {
      const card = usageCard(
        text(a.label ?? a.email ?? a.account_id ?? 'ChatGPT account'),
        (a.usage as Json) ?? null,
        null,
      )
      card.insertBefore(
        dl([
          ['E-mail', text(a.email)],
          ['Signed in', a.authenticated === false ? 'no' : 'yes'],
          ['Ready', a.ready_for_requests === false ? 'no' : 'yes'],
          ['Token expires', text(a.access_token_expires_at)],
        ]),
        card.children[1] ?? null,
      )
      host.append(card)
    }
  }
  refresh.addEventListener('click', () => void load().catch(failed))
  main.append(
    h(
      'p',
      { class: 'muted' },
      'Sign in or switch accounts with ',
      h('code', {}, 'airelays login'),
      ' (',
      h('code', {}, 'airelays login --device'),
      ' on a headless machine). Adding, signing out and reordering accounts from this page comes with multi-account support.',
    ),
  )
  await load()
}

// ---- Setup

function snippet(title: string, code: string): HTMLElement {
  const copy = h(
    'button',
    { type: 'button', class: 'btn', 'aria-label': `Copy the ${title} snippet` },
    'Copy',
  )
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(code).then(
      () => {
        copy.textContent = 'Copied'
      },
      () => {
        copy.textContent = 'Select and copy'
      },
    )
  })
  return h('div', {}, h('h3', {}, title), h('div', { class: 'snippet' }, h('pre', {}, code), copy))
}

async function setup(main: HTMLElement): Promise<void> {
  const base = `${location.origin}${BASE}`
  const api1 = `${base}/v1`
  const key = NEEDS_TOKEN ? '"$(airelays token show --raw)"' : 'anything'
  main.append(
    h('h2', {}, 'Setup'),
    dl([
      ['Base URL', h('code', { id: 'base-url' }, api1)],
      [
        'API key',
        NEEDS_TOKEN
          ? h('span', {}, 'the relay token: ', h('code', {}, 'airelays token show --raw'))
          : 'open mode: any placeholder',
      ],
    ]),
    snippet(
      'curl',
      `curl ${api1}/chat/completions \\\n  -H "Authorization: Bearer ${NEEDS_TOKEN ? '$(airelays token show --raw)' : 'anything'}" \\\n  -H "Content-Type: application/json" \\\n  -d '{"model":"gpt-5.5","messages":[{"role":"user","content":"Hello"}]}'`,
    ),
    snippet(
      'openai SDK (Node)',
      `// OPENAI_API_KEY=${key}\nimport OpenAI from 'openai'\nconst client = new OpenAI({ baseURL: '${api1}', apiKey: process.env.OPENAI_API_KEY })\nconst r = await client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello' }] })\nconsole.log(r.choices[0].message.content)`,
    ),
    snippet(
      'openai SDK (Python)',
      `# OPENAI_API_KEY=${key}\nfrom openai import OpenAI\nclient = OpenAI(base_url="${api1}")\nr = client.chat.completions.create(model="gpt-5.5", messages=[{"role": "user", "content": "Hello"}])\nprint(r.choices[0].message.content)`,
    ),
    snippet(
      'Codex CLI (~/.codex/config.toml)',
      `model = "gpt-5.5"\nmodel_provider = "airelays"\n\n[model_providers.airelays]\nname = "AIRelays"\nbase_url = "${api1}"\nenv_key = "AIRELAYS_TOKEN"\nwire_api = "responses"\n\n# export AIRELAYS_TOKEN=${key}`,
    ),
    snippet(
      'Claude Code (environment)',
      `# Claude Code speaks the Anthropic Messages API; point it at the relay once that route exists.\nexport ANTHROPIC_BASE_URL=${base}\nexport ANTHROPIC_AUTH_TOKEN=${key}`,
    ),
  )
}

// ---- start

window.addEventListener('hashchange', () => {
  if (document.getElementById('main')) render()
})
if (!NEEDS_TOKEN || token()) showApp()
else showLogin()
