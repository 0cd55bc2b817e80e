// What a page of the dashboard gets: its timers (stopped when the page changes) and the error
// reporter of the shell.

import { Unauthorized } from './api'
import { button, h } from './dom'

/** The running page's resources, released by {@link stopPage}. */
const running: { timers: number[]; aborts: AbortController[] } = { timers: [], aborts: [] }
let onUnauthorized: (() => void) | null = null

/** Set by the shell: what happens when the relay refuses the token. */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler
}

/** Run `fn` every `ms` while the page is shown. */
export function every(ms: number, fn: () => void): void {
  running.timers.push(window.setInterval(fn, ms))
}

/** An abort signal that fires when the page is left. */
export function pageSignal(): AbortSignal {
  const controller = new AbortController()
  running.aborts.push(controller)
  return controller.signal
}

/** Stop the page's timers (a page that redraws itself calls it before arming new ones). */
export function stopTimers(): void {
  for (const t of running.timers) clearInterval(t)
  running.timers = []
}

/** Stop everything the page started. */
export function stopPage(): void {
  stopTimers()
  for (const a of running.aborts) a.abort()
  running.aborts = []
}

/** Report an error at the top of the page (a refused token goes back to the prompt). */
export function failed(error: unknown): void {
  if (error instanceof Unauthorized) {
    onUnauthorized?.()
    return
  }
  document
    .querySelector('main')
    ?.prepend(
      h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)),
    )
}

/** A confirmation step shown in place (no `window.confirm`, which blocks and is easy to miss). */
export function confirmStep(
  host: HTMLElement,
  question: string,
  action: string,
  run: () => Promise<void>,
): void {
  const yes = button(action, () => run().catch(failed), { class: 'btn danger' })
  const no = button('Cancel', () => host.replaceChildren())
  host.replaceChildren(
    h('div', { class: 'confirm', role: 'group', 'aria-label': question }, h('p', {}, question), yes, no),
  )
  yes.focus()
}
