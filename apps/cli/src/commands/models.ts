import type { ConfigFlags } from '@airelays/config'
import { connectHost, originFor } from '../_internal/client'
import { printJson, type Terminal } from '../_internal/output'
import { readConfiguredToken } from '../_internal/relay-token'
import { loadSettings } from '../_internal/settings'
import { CliError } from '../errors'

/** Options of `airelays models`. */
export interface ModelsOptions {
  flags: ConfigFlags
  json: boolean
}

/** How long `models` waits for the running relay, in ms. */
const MODELS_TIMEOUT_MS = 15_000

interface ModelEntry {
  id?: unknown
  airelays?: {
    provider?: unknown
    reasoning?: { modes?: unknown }
    structured_output?: { types?: unknown }
  }
}

const PROVIDER_HEADINGS: Record<string, string> = { openai: 'OpenAI', claude: 'Claude' }

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/** The error message of a relay error envelope, when there is one. */
function envelopeMessage(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } }
    return typeof parsed.error?.message === 'string' ? parsed.error.message : null
  } catch {
    return null
  }
}

/** `airelays models`: the model list of the running relay (`GET {client base URL}/models`). */
export async function runModels(term: Terminal, options: ModelsOptions): Promise<number> {
  const { config } = await loadSettings(options.flags, { term, json: options.json, onErrors: 'fail' })
  const baseUrl = `${originFor(connectHost(config.server.host), config.server.port)}/v1`
  const url = `${baseUrl}/models`
  const headers: Record<string, string> = { accept: 'application/json' }
  if (config.security.require_bearer_auth) {
    const token = await readConfiguredToken(config)
    if (token.token !== null) headers.authorization = `Bearer ${token.token}`
  }

  let response: Response
  let body: string
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(MODELS_TIMEOUT_MS) })
    body = await response.text()
  } catch (error) {
    if ((error as { name?: unknown }).name === 'TimeoutError') {
      throw new CliError(`The relay at ${baseUrl} did not answer within ${MODELS_TIMEOUT_MS / 1000} s.`)
    }
    throw new CliError(`No running relay at ${baseUrl}. Start it with \`airelays serve\`, then retry.`)
  }
  if (!response.ok) {
    const message = envelopeMessage(body) ?? body.slice(0, 200)
    throw new CliError(`The relay answered ${response.status}: ${message}`)
  }
  let payload: { data?: unknown }
  try {
    payload = JSON.parse(body) as { data?: unknown }
  } catch {
    throw new CliError(`The relay at ${baseUrl} returned a model list that is not JSON.`)
  }
  if (options.json) {
    printJson(term.out, payload)
    return 0
  }

  const entries = (Array.isArray(payload.data) ? payload.data : []) as ModelEntry[]
  const groups = new Map<string, ModelEntry[]>()
  for (const entry of entries) {
    const provider = typeof entry.airelays?.provider === 'string' ? entry.airelays.provider : 'other'
    groups.set(provider, [...(groups.get(provider) ?? []), entry])
  }
  const out = term.out
  out.title('Models')
  if (entries.length === 0) {
    out.section('Models')
    out.note('The relay lists no models.')
  }
  // Columns: the id, `reasoning: …`, `structured: …`, each padded to its longest cell.
  const rows = entries.map((entry) => {
    const reasoning = stringList(entry.airelays?.reasoning?.modes)
    const structured = stringList(entry.airelays?.structured_output?.types)
    return {
      entry,
      cells: [
        String(entry.id),
        reasoning.length > 0 ? `reasoning: ${reasoning.join(', ')}` : '',
        structured.length > 0 ? `structured: ${structured.join(', ')}` : '',
      ],
    }
  })
  const widths = [0, 1, 2].map((column) => Math.max(0, ...rows.map((row) => row.cells[column]?.length ?? 0)))
  for (const [provider, list] of groups) {
    out.section(PROVIDER_HEADINGS[provider] ?? provider)
    for (const row of rows.filter((r) => list.includes(r.entry))) {
      const line = row.cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')
      out.line(`  ${line}`.trimEnd())
    }
  }
  return 0
}
