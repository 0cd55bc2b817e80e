// DOM helpers of the dashboard client: element building, empty values, definition lists.

/** A JSON object as the relay's routes answer it. */
export type Json = Record<string, unknown>
/** What {@link h} accepts as a child. */
export type Child = Node | string | null | undefined | false

/** `document.createElement` with attributes (`true` → empty attribute; null/false skipped) and children. */
export function h(
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

/** The value as text, `—` when there is none. */
export function text(value: unknown): string {
  return value === null || value === undefined || value === '' ? '—' : String(value)
}

/** A `<dl>` of term/value rows. */
export function dl(rows: [string, Child][]): HTMLElement {
  const list = h('dl')
  for (const [term, value] of rows) list.append(h('dt', {}, term), h('dd', {}, value ?? '—'))
  return list
}

/** A status badge: a word and a symbol, so colour is never the only signal. */
export function badge(level: 'ok' | 'warn' | 'bad', label: string): HTMLElement {
  const symbol = level === 'ok' ? '✓' : level === 'warn' ? '!' : '✕'
  return h('span', { class: `badge ${level}` }, h('span', { 'aria-hidden': 'true' }, `${symbol} `), label)
}

/** A button that runs `onClick` (errors go to `onError`). */
export function button(
  label: string,
  onClick: () => unknown,
  attrs: Record<string, string | boolean | null | undefined> = {},
): HTMLButtonElement {
  const el = h('button', { type: 'button', class: 'btn', ...attrs }, label) as HTMLButtonElement
  el.addEventListener('click', () => void onClick())
  return el
}
