import { promises as fs } from 'node:fs'
import { dirname, join } from 'node:path'
import { conversationNotFound, invalidValue } from '../errors/factories'
import { randomId } from '../request/ids'

/** A local conversation: a session id plus seed items plus metadata (never a replayed history). */
export interface Conversation {
  id: string
  object: 'conversation'
  created_at: number
  updated_at: number
  latest_response_id: string | null
  metadata: Record<string, unknown>
  seed_items: unknown[]
}

interface StoreFile {
  version: 1
  conversations: Conversation[]
}

const ID_PATTERN = /^conv_[0-9a-f]{32}$/

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Conversations persisted in `<data>/conversations.json` (mode 0600, written via temp file +
 * rename, writes serialised). Loaded lazily on first use.
 */
export class ConversationStore {
  readonly #path: string
  readonly #nowSeconds: () => number
  #items: Map<string, Conversation> | null = null
  #loading: Promise<Map<string, Conversation>> | null = null
  #writing: Promise<void> = Promise.resolve()

  constructor(dataDir: string, nowSeconds: () => number) {
    this.#path = join(dataDir, 'conversations.json')
    this.#nowSeconds = nowSeconds
  }

  async #load(): Promise<Map<string, Conversation>> {
    if (this.#items) return this.#items
    this.#loading ??= (async () => {
      const map = new Map<string, Conversation>()
      try {
        const parsed = JSON.parse(await fs.readFile(this.#path, 'utf8')) as StoreFile
        for (const conv of Array.isArray(parsed?.conversations) ? parsed.conversations : []) {
          if (conv && typeof conv.id === 'string' && ID_PATTERN.test(conv.id)) map.set(conv.id, conv)
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          // An unreadable store is kept aside rather than overwritten.
          await fs.rename(this.#path, `${this.#path}.corrupt-${Date.now()}`).catch(() => {})
        }
      }
      this.#items = map
      return map
    })()
    return this.#loading
  }

  #persist(map: Map<string, Conversation>): Promise<void> {
    const snapshot = JSON.stringify({ version: 1, conversations: [...map.values()] } satisfies StoreFile)
    const run = async (): Promise<void> => {
      await fs.mkdir(dirname(this.#path), { recursive: true, mode: 0o700 })
      const tmp = `${this.#path}.${process.pid}.${randomId('tmp')}`
      try {
        await fs.writeFile(tmp, snapshot, { mode: 0o600 })
        await fs.rename(tmp, this.#path)
      } catch (error) {
        await fs.rm(tmp, { force: true }).catch(() => {})
        throw error
      }
    }
    const next = this.#writing.then(run, run)
    this.#writing = next.catch(() => {})
    return next
  }

  /** Number of stored conversations. */
  async count(): Promise<number> {
    return (await this.#load()).size
  }

  /** Create from a `{metadata?, items?}` body. */
  async create(body: Record<string, unknown>): Promise<Conversation> {
    const metadata = body.metadata ?? {}
    const items = body.items ?? []
    if (!isPlainObject(metadata)) throw invalidValue('metadata', '`metadata` must be an object.')
    if (!Array.isArray(items)) throw invalidValue('items', '`items` must be an array.')
    const map = await this.#load()
    const now = this.#nowSeconds()
    const conv: Conversation = {
      id: randomId('conv'),
      object: 'conversation',
      created_at: now,
      updated_at: now,
      latest_response_id: null,
      metadata: { ...metadata },
      seed_items: items,
    }
    map.set(conv.id, conv)
    await this.#persist(map)
    return conv
  }

  /** The conversation, or `null`. */
  async find(id: string): Promise<Conversation | null> {
    if (!ID_PATTERN.test(id)) return null
    return (await this.#load()).get(id) ?? null
  }

  /** The conversation, or a 404 `conversation_not_found`. */
  async get(id: string): Promise<Conversation> {
    const conv = await this.find(id)
    if (!conv) throw conversationNotFound(id)
    return conv
  }

  /** Shallow-merge `body.metadata` into the conversation. */
  async update(id: string, body: Record<string, unknown>): Promise<Conversation> {
    const conv = await this.get(id)
    const metadata = body.metadata ?? {}
    if (!isPlainObject(metadata)) throw invalidValue('metadata', '`metadata` must be an object.')
    conv.metadata = { ...conv.metadata, ...metadata }
    conv.updated_at = this.#nowSeconds()
    await this.#persist(await this.#load())
    return conv
  }

  /** Delete; a 404 `conversation_not_found` when unknown. */
  async delete(id: string): Promise<{ id: string; object: 'conversation'; deleted: true }> {
    const map = await this.#load()
    if (!ID_PATTERN.test(id) || !map.delete(id)) throw conversationNotFound(id)
    await this.#persist(map)
    return { id, object: 'conversation', deleted: true }
  }

  /** Remember the latest response id of a conversation (after a successful response). */
  async setLatestResponse(id: string, responseId: string): Promise<void> {
    const map = await this.#load()
    const conv = map.get(id)
    if (!conv) return
    conv.latest_response_id = responseId
    conv.updated_at = this.#nowSeconds()
    await this.#persist(map)
  }
}
