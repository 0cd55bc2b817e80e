// The Logs page: the traffic log's retention and size budget (`GET`/`PUT /v1/relay/logging`) and
// its size on disk.

import { ApiError, call, getJson } from './api'
import { dl, h, type Json, text } from './dom'

function formatBytes(n: unknown): string {
  const bytes = Number(n)
  if (!Number.isFinite(bytes)) return '—'
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

function field(id: string, label: string, help: string, value: unknown): HTMLInputElement {
  const input = h('input', {
    id,
    name: id,
    type: 'number',
    min: '0',
    step: '1',
    inputmode: 'numeric',
    'aria-describedby': `${id}-help`,
    value: String(value ?? ''),
  }) as HTMLInputElement
  input.dataset.label = label
  input.dataset.help = help
  return input
}

/** The Logs page. */
export async function logs(main: HTMLElement): Promise<void> {
  const figures = h('div', { id: 'log-figures' })
  const show = (body: Json): void => {
    figures.replaceChildren(
      dl([
        ['Traffic log', body.enabled ? 'on' : 'off'],
        ['Directory', h('code', {}, text(body.logs_dir))],
        ['Size on disk', h('span', { id: 'log-size' }, formatBytes(body.size_bytes))],
        ['Hour files', text(body.file_count)],
        ['Oldest', text(body.oldest_file)],
      ]),
    )
  }
  const current = await getJson('/v1/relay/logging')
  show(current)
  const days = field(
    'retention-days',
    'Retention (days)',
    'Hour files older than this are deleted; 0 keeps everything.',
    current.retention_days,
  )
  const total = field(
    'max-total-bytes',
    'Size budget (bytes)',
    'The oldest files go first past it; 0 means no limit.',
    current.max_total_bytes,
  )
  const message = h('p', { role: 'status', id: 'logging-status' })
  const form = h('form', { 'aria-label': 'Log retention', novalidate: true })
  for (const input of [days, total]) {
    form.append(
      h('label', { for: input.id }, input.dataset.label ?? '', input),
      h('p', { class: 'muted', id: `${input.id}-help` }, input.dataset.help ?? ''),
    )
  }
  form.append(h('button', { type: 'submit', class: 'btn' }, 'Save'), message)
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    for (const input of [days, total]) input.removeAttribute('aria-invalid')
    const send = { retention_days: Number(days.value), max_total_bytes: Number(total.value) }
    void call('/v1/relay/logging', 'PUT', send).then(
      (body) => {
        show(body)
        message.className = ''
        message.textContent =
          body.persistent === true
            ? `Saved. Written to ${String(body.config_file)} and applied to the running relay.`
            : 'Saved. It applies to the running relay only (it has no config file); set [logging] in config.toml to keep it after a restart.'
      },
      (error: unknown) => {
        message.className = 'error'
        message.textContent = error instanceof Error ? error.message : String(error)
        const param = error instanceof ApiError ? error.param : null
        const bad = param === 'retention_days' ? days : param === 'max_total_bytes' ? total : null
        bad?.setAttribute('aria-invalid', 'true')
        bad?.focus()
      },
    )
  })
  main.append(h('h2', {}, 'Logs'), figures, h('h3', {}, 'Retention'), form)
}
