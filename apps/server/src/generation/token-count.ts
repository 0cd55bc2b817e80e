/** Tokens of one text (the o200k_base encoder's `countTokens`). */
type CountTokens = (text: string) => number

let tokenizer: Promise<CountTokens> | undefined

/**
 * The o200k_base tokenizer, loaded on the first `count_tokens` request and kept: its merge tables
 * hold about 50 MB of RSS (measured: 39 → 91 MB on import), which a relay that never counts
 * tokens should not carry from start-up.
 */
function loadTokenizer(): Promise<CountTokens> {
  tokenizer ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => m.countTokens)
  return tokenizer
}

/**
 * Tokens counted for one image (any size). Anthropic bills an image at about width × height / 750
 * tokens, at most ~1,600 for the 1.15-megapixel images it keeps; the Codex backend's own image
 * cost is of the same order. The relay does not decode images, so every image counts this much.
 */
export const IMAGE_TOKEN_ESTIMATE = 1_600

/** Tokens counted for one PDF document block (about two pages of text and their page images). */
export const DOCUMENT_TOKEN_ESTIMATE = 3_000

/** Framing tokens per message (role and separators) and per tool definition. */
const PER_MESSAGE = 4
const PER_TOOL = 8

/** Text longer than this is counted at four characters a token instead of being tokenized. */
const TOKENIZE_LIMIT = 4_000_000

/**
 * Counts text with the o200k_base encoding (the tokenizer of the GPT-5 family that serves the
 * requests); beyond {@link TOKENIZE_LIMIT} characters in one request, the rest is estimated.
 */
class Counter {
  total = 0
  #tokenized = 0
  readonly #count: CountTokens

  constructor(count: CountTokens) {
    this.#count = count
  }

  text(value: unknown): void {
    if (typeof value !== 'string' || value === '') return
    if (this.#tokenized + value.length > TOKENIZE_LIMIT) {
      this.total += Math.ceil(value.length / 4)
      return
    }
    this.#tokenized += value.length
    this.total += this.#count(value)
  }

  json(value: unknown): void {
    if (value === undefined || value === null) return
    this.text(typeof value === 'string' ? value : JSON.stringify(value))
  }

  content(value: unknown): void {
    if (typeof value === 'string') {
      this.text(value)
      return
    }
    if (!Array.isArray(value)) return
    for (const block of value) this.block(block)
  }

  block(block: unknown): void {
    if (typeof block !== 'object' || block === null) return
    const b = block as Record<string, unknown>
    switch (b.type) {
      case 'text':
        this.text(b.text)
        return
      case 'image':
        this.total += IMAGE_TOKEN_ESTIMATE
        return
      case 'document': {
        const source = (b.source ?? {}) as Record<string, unknown>
        if (source.type === 'text') this.text(source.data)
        else if (source.type === 'content') this.content(source.content)
        else this.total += DOCUMENT_TOKEN_ESTIMATE
        this.text(b.title)
        this.text(b.context)
        return
      }
      case 'tool_use':
      case 'server_tool_use':
        this.text(b.name)
        this.json(b.input)
        return
      case 'tool_result':
        this.content(b.content)
        return
      case 'thinking':
        this.text(b.thinking)
        return
      default:
        // unknown blocks (search results, server-tool results …): their JSON is a fair upper bound
        this.json(b.content ?? b.text ?? null)
    }
  }
}

/**
 * The input tokens of a Messages request (or `count_tokens` body): `system`, every message's
 * content (text, tool calls and results, thinking), each image as {@link IMAGE_TOKEN_ESTIMATE}
 * and each PDF as {@link DOCUMENT_TOKEN_ESTIMATE}, and the tools (name, description, schema),
 * counted with a real tokenizer (o200k_base, loaded on first use). Never throws on odd input.
 */
export async function countMessagesTokens(body: Record<string, unknown>): Promise<number> {
  const counter = new Counter(await loadTokenizer())
  counter.content(body.system)
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      if (typeof message !== 'object' || message === null) continue
      counter.total += PER_MESSAGE
      counter.content((message as Record<string, unknown>).content)
    }
  }
  if (Array.isArray(body.tools)) {
    for (const tool of body.tools) {
      if (typeof tool !== 'object' || tool === null) continue
      const t = tool as Record<string, unknown>
      counter.total += PER_TOOL
      counter.text(t.name)
      counter.text(t.description)
      counter.json(t.input_schema)
    }
  }
  return Math.max(1, counter.total)
}
