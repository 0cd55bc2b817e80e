import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * A response the relay kept so a later request can continue it with `previous_response_id`
 * (the backend is `store: false` and keeps nothing).
 */
export interface KeptResponse {
  /** The upstream response id (`resp_…`), as the client saw it. */
  id: string
  /** When it was kept, epoch seconds. */
  kept_at: number
  /** The input items the upstream got for it (earlier turns included, ids removed). */
  input: unknown[]
  /** The final response object, as `GET /v1/responses/{id}` returns it. */
  response: Record<string, unknown>
  /** Serialised size, bytes (what the byte bound counts). */
  bytes: number
}

/** Bounds of {@link ResponseStore}. */
export interface ResponseStoreLimits {
  /** Most responses kept; the oldest go first. @default 256 */
  maxCount?: number
  /** Most bytes kept (serialised input + response); the oldest go first. @default 32 MiB */
  maxBytes?: number
  /** How long a response can be continued or fetched, seconds. @default 86400 (one day) */
  ttlSeconds?: number
}

interface StoreFile {
  version: 1
  responses: KeptResponse[]
}

const DEFAULT_MAX_COUNT = 256
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024
const DEFAULT_TTL_SECONDS = 24 * 60 * 60

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The content parts of an output message that can be sent back as input. */
function replayableParts(content: unknown): unknown[] {
  if (!Array.isArray(content)) return []
  const parts: unknown[] = []
  for (const part of content) {
    if (!isObject(part)) continue
    if (part.type === 'output_text' && typeof part.text === 'string')
      parts.push({ type: 'output_text', text: part.text })
    else if (part.type === 'refusal' && typeof part.refusal === 'string')
      parts.push({ type: 'refusal', refusal: part.refusal })
  }
  return parts
}

/**
 * The output items of a response as input items of the next turn: assistant messages, reasoning
 * that carries `encrypted_content` (the only reasoning the backend can take back), function and
 * custom tool calls; without their ids (the backend cannot resolve stored ids). Other items
 * (hosted tool calls, reasoning without encrypted content) are left out.
 */
export function replayableOutput(output: unknown): unknown[] {
  if (!Array.isArray(output)) return []
  const items: unknown[] = []
  for (const item of output) {
    if (!isObject(item)) continue
    switch (item.type) {
      case 'message': {
        const content = replayableParts(item.content)
        if (content.length > 0) items.push({ type: 'message', role: 'assistant', content })
        break
      }
      case 'reasoning':
        if (typeof item.encrypted_content === 'string' && item.encrypted_content !== '') {
          items.push({
            type: 'reasoning',
            summary: Array.isArray(item.summary) ? item.summary : [],
            encrypted_content: item.encrypted_content,
          })
        }
        break
      case 'function_call':
        items.push({
          type: 'function_call',
          call_id: item.call_id,
          name: item.name,
          arguments: item.arguments,
        })
        break
      case 'custom_tool_call':
        items.push({ type: 'custom_tool_call', call_id: item.call_id, name: item.name, input: item.input })
        break
      default:
        break
    }
  }
  return items
}

/**
 * The relay's recent `/v1/responses` answers, so `previous_response_id` can be expanded into the
 * input (earlier input + output items) and `GET /v1/responses/{id}` answered. Bounded in count and
 * bytes (oldest first), expiring after `ttlSeconds`, persisted next to the conversations in
 * `<data>/responses.json` (mode 0600, temp file + rename, writes coalesced). Loaded lazily.
 */
export class ResponseStore {
  readonly #path: string
  readonly #nowSeconds: () => number
  readonly #maxCount: number
  readonly #maxBytes: number
  readonly #ttl: number
  /** Insertion order = age order (oldest first). */
  #items: Map<string, KeptResponse> | null = null
  #loading: Promise<Map<string, KeptResponse>> | null = null
  #bytes = 0
  #writing: Promise<void> | null = null
  #dirty = false
  #closed = false
  /** Puts and deletes still running (awaited by `close`). */
  readonly #pending = new Set<Promise<unknown>>()

  constructor(dataDir: string, nowSeconds: () => number, limits: ResponseStoreLimits = {}) {
    this.#path = join(dataDir, 'responses.json')
    this.#nowSeconds = nowSeconds
    this.#maxCount = Math.max(0, limits.maxCount ?? DEFAULT_MAX_COUNT)
    this.#maxBytes = Math.max(0, limits.maxBytes ?? DEFAULT_MAX_BYTES)
    this.#ttl = Math.max(0, limits.ttlSeconds ?? DEFAULT_TTL_SECONDS)
  }

  async #load(): Promise<Map<string, KeptResponse>> {
    if (this.#items) return this.#items
    this.#loading ??= (async () => {
      const map = new Map<string, KeptResponse>()
      try {
        const parsed = JSON.parse(await fs.readFile(this.#path, 'utf8')) as StoreFile
        const list = Array.isArray(parsed?.responses) ? parsed.responses : []
        for (const kept of list.sort((a, b) => a.kept_at - b.kept_at)) {
          if (!isObject(kept) || typeof kept.id !== 'string' || typeof kept.kept_at !== 'number') continue
          if (!Array.isArray(kept.input) || !isObject(kept.response)) continue
          if (typeof kept.bytes !== 'number') kept.bytes = Buffer.byteLength(JSON.stringify(kept))
          map.set(kept.id, kept)
          this.#bytes += kept.bytes
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          // An unreadable store is kept aside rather than overwritten.
          await fs.rename(this.#path, `${this.#path}.corrupt-${Date.now()}`).catch(() => {})
        }
      }
      this.#items = map
      this.#prune(map)
      return map
    })()
    return this.#loading
  }

  /** Drops expired entries, then the oldest until both bounds hold. True when something went. */
  #prune(map: Map<string, KeptResponse>): boolean {
    const oldest = this.#nowSeconds() - this.#ttl
    let removed = false
    for (const [id, kept] of map) {
      const over = map.size > this.#maxCount || this.#bytes > this.#maxBytes
      if (kept.kept_at >= oldest && !over) break
      map.delete(id)
      this.#bytes -= kept.bytes
      removed = true
    }
    // Entries kept later can expire before older ones only if the clock went back: sweep them too.
    for (const [id, kept] of map) {
      if (kept.kept_at >= oldest) continue
      map.delete(id)
      this.#bytes -= kept.bytes
      removed = true
    }
    return removed
  }

  #persist(): Promise<void> {
    this.#dirty = true
    if (this.#writing) return this.#writing
    const run = async (): Promise<void> => {
      while (this.#dirty) {
        this.#dirty = false
        const map = this.#items ?? new Map()
        const snapshot = JSON.stringify({ version: 1, responses: [...map.values()] } satisfies StoreFile)
        await fs.mkdir(dirname(this.#path), { recursive: true, mode: 0o700 })
        const tmp = `${this.#path}.${process.pid}.${randomBytes(6).toString('hex')}`
        try {
          await fs.writeFile(tmp, snapshot, { mode: 0o600 })
          await fs.rename(tmp, this.#path)
        } catch (error) {
          await fs.rm(tmp, { force: true }).catch(() => {})
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
          throw error
        }
      }
    }
    const writing = run().finally(() => {
      this.#writing = null
    })
    this.#writing = writing
    return writing
  }

  /** The kept response, or null when unknown or expired. */
  async get(id: string): Promise<KeptResponse | null> {
    const map = await this.#load()
    if (this.#prune(map)) void this.#persist().catch(() => {})
    return map.get(id) ?? null
  }

  /**
   * The input that continues response `id`: its input followed by its replayable output items,
   * or null when it is unknown or expired.
   */
  async continuation(id: string): Promise<unknown[] | null> {
    const kept = await this.get(id)
    if (!kept) return null
    return [...kept.input, ...replayableOutput(kept.response.output)]
  }

  /** Keep a finished response with the input the upstream got. Too large for the bound: not kept. */
  put(id: string, input: unknown[], response: Record<string, unknown>): Promise<void> {
    return this.#track(this.#put(id, input, response))
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work)
    const done = (): void => {
      this.#pending.delete(work)
    }
    work.then(done, done)
    return work
  }

  async #put(id: string, input: unknown[], response: Record<string, unknown>): Promise<void> {
    if (this.#maxCount === 0 || this.#closed) return
    const map = await this.#load()
    const kept: KeptResponse = { id, kept_at: this.#nowSeconds(), input, response, bytes: 0 }
    kept.bytes = Buffer.byteLength(JSON.stringify(kept))
    if (kept.bytes > this.#maxBytes) return
    const previous = map.get(id)
    if (previous) {
      map.delete(id)
      this.#bytes -= previous.bytes
    }
    map.set(id, kept)
    this.#bytes += kept.bytes
    this.#prune(map)
    await this.#persist()
  }

  /** Forget a kept response; false when it was not kept. */
  delete(id: string): Promise<boolean> {
    return this.#track(this.#delete(id))
  }

  async #delete(id: string): Promise<boolean> {
    const map = await this.#load()
    const kept = map.get(id)
    if (!kept) return false
    map.delete(id)
    this.#bytes -= kept.bytes
    await this.#persist()
    return true
  }

  /** Number of kept (unexpired) responses. */
  async count(): Promise<number> {
    const map = await this.#load()
    this.#prune(map)
    return map.size
  }

  /** Wait for pending puts, deletes and writes (tests). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pending])
    await this.#writing?.catch(() => {})
  }

  /** Finish pending writes and keep nothing more (the relay is closing). */
  async close(): Promise<void> {
    this.#closed = true
    await this.flush()
  }
}
