// The Accounts page: every signed-in account with its usage, adding one with the device flow
// (code and link shown, status followed live), signing one out, reordering, refreshing limits.
// Everything goes through the ordinary `/v1/relay/accounts*` routes.

import { call, getJson } from './api'
import { badge, button, dl, h, type Json, text } from './dom'
import { accountUsages, usageCard } from './overview'
import { confirmStep, every, failed, stopTimers } from './page'

/** What an account's card shows and does. */
interface AccountCardInit {
  account: Json
  usage: Json | null
  index: number
  count: number
  reload: () => Promise<void>
}

function accountCard({ account: a, usage, index, count, reload }: AccountCardInit): HTMLElement {
  const label = text(a.label ?? a.email ?? a.slug)
  const card = usageCard({ title: label, usage, error: null })
  const slug = String(a.slug)
  const move = async (delta: number): Promise<void> => {
    const order = (await getJson('/v1/relay/accounts')).data as Json[]
    const slugs = order.map((x) => String(x.slug))
    const at = slugs.indexOf(slug)
    slugs.splice(at, 1)
    slugs.splice(Math.max(0, Math.min(slugs.length, at + delta)), 0, slug)
    await call('/v1/relay/accounts/order', 'PUT', { order: slugs })
    await reload()
  }
  const confirmHost = h('div')
  const actions = h(
    'div',
    { class: 'actions' },
    button('Move up', () => move(-1).catch(failed), {
      disabled: index === 0,
      'aria-label': `Move ${label} up`,
    }),
    button('Move down', () => move(1).catch(failed), {
      disabled: index === count - 1,
      'aria-label': `Move ${label} down`,
    }),
    button(
      'Sign out',
      () =>
        confirmStep(
          confirmHost,
          `Sign ${label} out of this relay? Its tokens are revoked.`,
          'Confirm sign out',
          async () => {
            await call(`/v1/relay/accounts/${encodeURIComponent(slug)}`, 'DELETE')
            await reload()
          },
        ),
      { 'aria-label': `Sign ${label} out` },
    ),
  )
  card.insertBefore(
    dl([
      ['Position', `${text(a.position)} of ${count}`],
      ['E-mail', text(a.email)],
      ['Account', h('code', {}, slug)],
      ['State', a.limited === true ? badge('warn', 'resting after a limit') : badge('ok', 'serving')],
    ]),
    card.children[1] ?? null,
  )
  card.append(actions, confirmHost)
  return card
}

/** Start a device login and follow it until it ends. */
async function addAccount(host: HTMLElement, reload: () => Promise<void>): Promise<void> {
  const login = await call('/v1/relay/accounts/login', 'POST')
  const state = h('p', { role: 'status', id: 'login-status' }, 'Waiting for approval…')
  const link = String(login.verification_url)
  const cancel = button('Cancel', async () => {
    await call(`/v1/relay/accounts/login/${login.id}`, 'DELETE').catch(failed)
  })
  host.replaceChildren(
    h(
      'section',
      { class: 'card', 'aria-label': 'Add an account' },
      h('h3', {}, 'Add an account'),
      h(
        'p',
        {},
        '1. Open ',
        h('a', { href: link, target: '_blank', rel: 'noopener noreferrer', id: 'login-link' }, link),
      ),
      h('p', {}, '2. Sign in with the ChatGPT account to add and enter this code:'),
      h('p', { class: 'user-code', id: 'login-code' }, String(login.user_code)),
      state,
      cancel,
    ),
  )
  const timer = window.setInterval(() => {
    void call(`/v1/relay/accounts/login/${login.id}`)
      .then(async (now) => {
        if (now.status === 'pending') return
        clearInterval(timer)
        cancel.remove()
        if (now.status === 'signed_in') {
          const account = (now.account ?? {}) as Json
          state.textContent = `Signed in as ${text(account.email ?? account.slug)}.`
          await reload()
        } else
          state.textContent =
            now.status === 'cancelled' ? 'Cancelled.' : `The login failed: ${text(now.error)}`
      })
      .catch((error: unknown) => {
        clearInterval(timer)
        failed(error)
      })
  }, 1000)
}

/** The Accounts page. */
export async function accounts(main: HTMLElement): Promise<void> {
  const host = h('div', { class: 'grid', id: 'accounts' })
  const loginHost = h('div', { id: 'login' })
  const load = async (): Promise<void> => {
    const [list, usages] = await Promise.all([getJson('/v1/relay/accounts'), accountUsages()])
    stopTimers()
    const data = (list.data ?? []) as Json[]
    const usageOf = (a: Json): Json | null =>
      usages.find((u) => u.title === text(a.email ?? a.slug))?.usage ?? null
    host.replaceChildren(
      ...data.map((a, i) =>
        accountCard({ account: a, usage: usageOf(a), index: i, count: data.length, reload: load }),
      ),
    )
    if (data.length === 0) host.append(h('p', { class: 'muted' }, 'No account is signed in yet.'))
    every(30_000, () => void load().catch(failed))
  }
  const refresh = button('Refresh limits', async () => {
    await call('/v1/relay/accounts/refresh', 'POST').catch(failed)
    await load().catch(failed)
  })
  const add = button('Add an account', () => addAccount(loginHost, load).catch(failed))
  main.append(
    h('h2', {}, 'Accounts'),
    h('p', { class: 'actions' }, add, refresh),
    loginHost,
    host,
    h(
      'p',
      { class: 'muted' },
      'Requests go to the accounts in this order (with the ',
      h('code', {}, 'balanced'),
      ' and ',
      h('code', {}, 'ordered'),
      ' modes). The same is done from a terminal with ',
      h('code', {}, 'airelays login --device'),
      ', ',
      h('code', {}, 'airelays logout <email>'),
      ' and ',
      h('code', {}, 'airelays accounts order'),
      '.',
    ),
  )
  await load()
}
