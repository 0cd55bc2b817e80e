import { createHash } from 'node:crypto'

/** Bytes kept from the start of a file for type detection. */
const HEAD_BYTES = 8192

/** What a {@link ContentProbe} learned from the bytes it saw. */
export interface ProbeResult {
  bytes: number
  /** Lower-case hex SHA-256. */
  sha256: string
  /** The first bytes, for `detectKind`. */
  head: Buffer
  /** Whether every byte was valid UTF-8 without NUL (always false when not asked to check). */
  utf8: boolean
}

/** Follows a file's bytes chunk by chunk: size, hash, head and (optionally) UTF-8 validity. */
export interface ContentProbe {
  update(chunk: Uint8Array): void
  /** Call once, after the last chunk. */
  finish(): ProbeResult
}

export function createContentProbe(options: { checkUtf8: boolean }): ContentProbe {
  const hash = createHash('sha256')
  const decoder = options.checkUtf8 ? new TextDecoder('utf-8', { fatal: true }) : null
  let head = Buffer.alloc(0)
  let bytes = 0
  let utf8 = options.checkUtf8
  return {
    update(chunk) {
      bytes += chunk.length
      hash.update(chunk)
      if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)])
      if (utf8 && decoder !== null) {
        try {
          if (chunk.includes(0)) utf8 = false
          else decoder.decode(chunk, { stream: true })
        } catch {
          utf8 = false
        }
      }
    },
    finish() {
      if (utf8 && decoder !== null) {
        try {
          decoder.decode()
        } catch {
          utf8 = false
        }
      }
      return { bytes, sha256: hash.digest('hex'), head, utf8 }
    },
  }
}
