// The Overview page: each account's usage windows as bars with reset countdowns, plan, credits and
// limit state; the relay's health; the client version and the models callable.

import { getJson, Unauthorized } from './api'
import { badge, dl, h, type Json, text } from './dom'
import { formatDuration, type WindowView, windowsOf } from './model'
import { every, failed, stopTimers } from './page'

/** One account's usage as the page shows it. */
export interface AccountUsage {
  title: string
  usage: Json | null
  error: string | null
}

function windowBar(w: WindowView): HTMLElement {
  const used = w.usedPercent ?? 0
  const level = used >= 90 ? 'bad' : used >= 70 ? 'warn' : 'ok'
  const fill = h('span')
  fill.style.width = `${Math.min(100, Math.max(0, used))}%`
  const countdown = h('span', { class: 'muted countdown' })
  const tick = (): void => {
    countdown.textContent =
      w.resetAt === null ? 'reset time unknown' : `resets in ${formatDuration(w.resetAt * 1000 - Date.now())}`
  }
  tick()
  every(1000, tick)
  return h(
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
  )
}

function creditsText(credits: Json | null): string {
  if (!credits) return '—'
  if (credits.unlimited === true) return 'unlimited'
  return `${text(credits.balance)}${credits.has_credits === false ? ' (none)' : ''}`
}

/** A card with an account's plan, limit state, credits and usage bars. */
export function usageCard({ title, usage, error }: AccountUsage): HTMLElement {
  const card = h('section', { class: 'card', 'aria-label': title }, h('h3', {}, title))
  if (error) {
    card.append(h('p', { class: 'error' }, error))
    return card
  }
  if (!usage) return card
  const account = (usage.account ?? {}) as Json
  const windows = windowsOf(usage)
  const limited = windows.some((w) => w.limitReached)
  card.append(
    dl([
      ['Plan', text(account.plan_type)],
      ['Limit state', limited ? badge('bad', 'limit reached') : badge('ok', 'within limits')],
      ['Credits', creditsText((usage.credits as Json | null) ?? null)],
    ]),
  )
  if (windows.length === 0) card.append(h('p', { class: 'muted' }, 'The upstream reported no usage window.'))
  for (const w of windows) card.append(windowBar(w))
  return card
}

/** Every account's usage (`?all_accounts=true` lists them with two or more). */
export async function accountUsages(): Promise<AccountUsage[]> {
  try {
    const body = await getJson('/v1/subscription/status?all_accounts=true')
    if (!Array.isArray(body.accounts)) {
      const account = (body.account ?? {}) as Json
      return [{ title: text(account.email ?? 'ChatGPT account'), usage: body, error: null }]
    }
    return (body.accounts as Json[]).map((a) => ({
      title: text(a.email ?? a.slug),
      usage: (a.status as Json | undefined) ?? null,
      error: typeof a.error === 'string' ? a.error : null,
    }))
  } catch (error) {
    if (error instanceof Unauthorized) throw error
    return [
      {
        title: 'ChatGPT account',
        usage: null,
        error: error instanceof Error ? error.message : String(error),
      },
    ]
  }
}

function healthCards(status: Json, traffic: Json, models: Json): HTMLElement[] {
  const lastHour = (traffic.last_hour ?? {}) as Json
  const ids = ((models.data ?? []) as Json[]).map((m) => String(m.id))
  const ready = (status.ready ?? {}) as Json
  const errors = Number(lastHour.errors) > 0
  return [
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
          badge(errors ? 'warn' : 'ok', `${text(lastHour.errors)} of ${text(lastHour.requests)}`),
        ],
        ['Upstream login', ready.upstream_auth ? badge('ok', 'ready') : badge('bad', 'not ready')],
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
  ]
}

/** The Overview page (redrawn every 30 s). */
export async function overview(main: HTMLElement): Promise<void> {
  const usageHost = h('div', { class: 'grid', id: 'usage' })
  const healthHost = h('div', { class: 'grid', id: 'health' })
  main.append(h('h2', {}, 'Overview'), h('h3', {}, 'Usage'), usageHost, h('h3', {}, 'Relay'), healthHost)
  const load = async (): Promise<void> => {
    const [status, traffic, usages, models] = await Promise.all([
      getJson('/v1/relay/status'),
      getJson('/v1/relay/traffic'),
      accountUsages(),
      getJson('/v1/models').catch((e: unknown) => {
        if (e instanceof Unauthorized) throw e
        return { data: [] }
      }),
    ])
    stopTimers()
    usageHost.replaceChildren(...usages.map(usageCard))
    healthHost.replaceChildren(...healthCards(status, traffic, models))
    every(30_000, () => void load().catch(failed))
  }
  await load()
}
