// The AIRelays dashboard: plain TypeScript and DOM, bundled by esbuild into one script served by
// the relay. It talks only to its own origin, with the relay token from sessionStorage as a bearer
// header. Nothing here is secret; nothing secret is written into the page by the server.
// This file is the shell (token prompt, navigation); each page has its own module.

import { accounts } from './accounts'
import { api, NEEDS_TOKEN, setToken, token, Unauthorized } from './api'
import { h } from './dom'
import { logs } from './logs'
import { overview } from './overview'
import { failed, stopPage, whenUnauthorized } from './page'
import { setup } from './setup'
import { traffic } from './traffic'

type Page = 'overview' | 'traffic' | 'accounts' | 'setup' | 'logs'

const PAGES: { id: Page; label: string; run: (main: HTMLElement) => Promise<void> }[] = [
  { id: 'overview', label: 'Overview', run: overview },
  { id: 'traffic', label: 'Traffic', run: traffic },
  { id: 'accounts', label: 'Accounts', run: accounts },
  { id: 'setup', label: 'Setup', run: setup },
  { id: 'logs', label: 'Logs', run: logs },
]

const app = document.getElementById('app') as HTMLElement

function showLogin(message = ''): void {
  stopPage()
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  }) as HTMLInputElement
  const form = h(
    'form',
    { 'aria-label': 'Sign in to the dashboard' },
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
    setToken(value)
    void api('/v1/relay/traffic')
      .then((res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
        showApp()
      })
      .catch((error: unknown) => {
        setToken(null)
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
    // Links: the keyboard reaches them with Tab, Enter follows them, and the address names the page.
    nav.append(h('a', { href: `#${p.id}`, class: 'tab', 'data-page': p.id }, p.label))
  }
  const signOut = h('button', { type: 'button', class: 'btn' }, 'Forget token')
  signOut.addEventListener('click', () => {
    setToken(null)
    showLogin()
  })
  const skip = h('a', { href: '#main', class: 'skip' }, 'Skip to the page')
  skip.addEventListener('click', (event) => {
    event.preventDefault()
    document.getElementById('main')?.focus()
  })
  const main = h('main', { id: 'main', tabindex: '-1' })
  app.replaceChildren(skip, h('header', {}, h('h1', {}, 'AIRelays'), nav, NEEDS_TOKEN ? signOut : null), main)
  render()
}

function render(): void {
  stopPage()
  const id = pageFromHash()
  for (const link of document.querySelectorAll('nav a')) {
    if ((link as HTMLElement).dataset.page === id) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  const main = document.getElementById('main')
  if (!main) return
  main.replaceChildren()
  const page = PAGES.find((p) => p.id === id) as (typeof PAGES)[number]
  document.title = `${page.label} · AIRelays`
  page.run(main).catch(failed)
}

whenUnauthorized(() => {
  setToken(null)
  showLogin('The relay refused that token. Enter the current one.')
})
window.addEventListener('hashchange', () => {
  if (location.hash !== '#main' && document.getElementById('main')) render()
})
if (!NEEDS_TOKEN || token()) showApp()
else showLogin()
