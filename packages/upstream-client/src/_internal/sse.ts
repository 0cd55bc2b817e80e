import { isRecord } from '../errors'
import type { ResponsesEvent } from '../types'

/** One dispatched SSE message. */
export interface SseMessage {
  /** `event:` field, `'message'` when absent. */
  event: string
  /** `data:` lines joined with "\n". */
  data: string
  id: string | undefined
}

/**
 * Incremental Server-Sent Events parser (WHATWG framing, plus a trailing event at EOF):
 * LF, CRLF and CR line ends (also split across chunks), UTF-8 sequences split across chunks,
 * `data:` with or without one leading space, multi-line data joined with "\n", comment lines
 * (`:`) and unknown fields ignored, blank line dispatches.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8')
  private buffer = ''
  /** The previous chunk ended with CR: a leading LF in the next chunk belongs to it. */
  private skipLeadingLf = false
  private dataLines: string[] = []
  private hasData = false
  private eventName = ''
  private lastId: string | undefined

  /** Feed bytes (or text); returns the messages completed by them. */
  push(chunk: Uint8Array | string): SseMessage[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true })
    if (this.skipLeadingLf && text.length > 0) {
      this.skipLeadingLf = false
      if (text.charCodeAt(0) === 10) text = text.slice(1)
    }
    if (text.length === 0) return []
    // The kept buffer never holds a line break, so scanning starts at the new text.
    const scanFrom = this.buffer.length
    this.buffer += text
    const out: SseMessage[] = []
    let start = 0
    const buf = this.buffer
    const len = buf.length
    for (let i = scanFrom; i < len; i++) {
      const ch = buf.charCodeAt(i)
      if (ch !== 10 && ch !== 13) continue
      this.line(buf.slice(start, i), out)
      if (ch === 13) {
        if (i + 1 < len) {
          if (buf.charCodeAt(i + 1) === 10) i++
        } else {
          this.skipLeadingLf = true
        }
      }
      start = i + 1
    }
    this.buffer = start === 0 ? buf : buf.slice(start)
    return out
  }

  /** End of input: flush a trailing unterminated line and a pending event. */
  end(): SseMessage[] {
    const out: SseMessage[] = []
    const rest = this.decoder.decode()
    if (rest) this.buffer += rest
    if (this.buffer.length > 0) {
      this.line(this.buffer, out)
      this.buffer = ''
    }
    this.dispatch(out)
    return out
  }

  private line(line: string, out: SseMessage[]): void {
    if (line.length === 0) {
      this.dispatch(out)
      return
    }
    if (line.charCodeAt(0) === 58 /* : */) return
    const colon = line.indexOf(':')
    let field: string
    let value: string
    if (colon === -1) {
      field = line
      value = ''
    } else {
      field = line.slice(0, colon)
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1)
    }
    switch (field) {
      case 'data':
        this.dataLines.push(value)
        this.hasData = true
        break
      case 'event':
        this.eventName = value
        break
      case 'id':
        if (!value.includes('\0')) this.lastId = value
        break
      default:
        // `retry` and unknown fields are ignored.
        break
    }
  }

  private dispatch(out: SseMessage[]): void {
    if (this.hasData) {
      out.push({ event: this.eventName || 'message', data: this.dataLines.join('\n'), id: this.lastId })
    }
    this.dataLines = []
    this.hasData = false
    this.eventName = ''
  }
}

/**
 * Turn an SSE message into a Responses event: JSON objects only (non-JSON data and `[DONE]`
 * are skipped, returning `null`), typed by the JSON `type`, else by the SSE event name.
 */
export function toResponsesEvent(message: SseMessage): ResponsesEvent | null {
  const data = message.data.trim()
  if (data.length === 0 || data === '[DONE]') return null
  if (data.charCodeAt(0) !== 123 /* { */) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return null
  }
  if (!isRecord(parsed)) return null
  if (typeof parsed.type !== 'string' || parsed.type.length === 0) {
    parsed.type = message.event
  }
  return parsed as ResponsesEvent
}
