import type { Dispatcher } from 'undici'
import type { ResponsesStream } from '../client-api'
import { UpstreamError, isUpstreamError } from '../errors'
import type { StreamEndInfo, StreamEndStatus } from '../hooks'
import type { ResponsesEvent } from '../types'
import { errorFromStreamEvent } from './http'
import { SseParser, toResponsesEvent } from './sse'

type Body = Dispatcher.ResponseData['body']

const HIGH_WATER_EVENTS = 64
const DRAIN_TIMEOUT_MS = 5_000

export const STREAM_INCOMPLETE_MESSAGE = 'Upstream stream ended before response.completed.'
export const STREAM_EMPTY_MESSAGE = 'Upstream stream ended without a response payload.'

/** Event types that end a successful stream. */
export function isSuccessTerminal(type: string): boolean {
  return type === 'response.completed' || type === 'response.incomplete'
}

/** Event types that carry a failure. */
export function isFailureEvent(type: string): boolean {
  return type === 'error' || type === 'response.failed'
}

/**
 * Pulls Responses events out of an undici body with backpressure, and an idle timer that only
 * runs while a consumer waits for the upstream (a slow consumer never trips it).
 */
export class EventPump {
  private readonly parser = new SseParser()
  private readonly queue: ResponsesEvent[] = []
  private head = 0
  private ended = false
  private failure: Error | null = null
  private closed = false
  private paused = false
  private waiter: { resolve: (event: ResponsesEvent | null) => void; reject: (error: Error) => void } | null =
    null
  private idleTimer: NodeJS.Timeout | null = null
  private drainTimer: NodeJS.Timeout | null = null
  /** SSE messages seen (JSON or not). */
  messages = 0

  constructor(
    private readonly body: Body,
    private readonly idleTimeoutMs: number,
    private readonly idleError: () => Error,
  ) {
    body.on('data', (chunk: Buffer) => {
      if (this.closed) return
      this.accept(this.parser.push(chunk))
    })
    body.on('end', () => {
      if (!this.closed) this.accept(this.parser.end())
      this.ended = true
      this.clearDrain()
      this.wake()
    })
    body.on('error', (error: Error) => this.fail(error))
    body.on('close', () => {
      this.clearDrain()
      if (!this.ended) this.fail(new Error('Upstream connection closed before the stream ended.'))
    })
  }

  /** Next event; `null` at a clean end of the body. Rejects on socket errors, idle timeout, abort. */
  next(): Promise<ResponsesEvent | null> {
    if (this.closed) return this.failure ? Promise.reject(this.failure) : Promise.resolve(null)
    if (this.head < this.queue.length) return Promise.resolve(this.take())
    if (this.failure) return Promise.reject(this.failure)
    if (this.ended) return Promise.resolve(null)
    if (this.paused) {
      this.paused = false
      this.body.resume()
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
      this.armIdle()
    })
  }

  /** Stop reading and abort the upstream request (the socket is destroyed). */
  destroy(error?: Error): void {
    if (this.closed) return
    this.closed = true
    if (error && !this.failure && !this.ended) this.failure = error
    this.disarmIdle()
    this.clearDrain()
    const waiter = this.waiter
    this.waiter = null
    if (waiter) {
      if (error) waiter.reject(error)
      else waiter.resolve(null)
    }
    if (!this.ended && !this.body.destroyed) this.body.destroy(error)
  }

  /** Stop delivering events but let the body finish so the connection can be reused. */
  release(): void {
    if (this.closed) return
    this.closed = true
    this.disarmIdle()
    const waiter = this.waiter
    this.waiter = null
    waiter?.resolve(null)
    if (this.ended || this.body.destroyed) return
    this.body.resume()
    this.drainTimer = setTimeout(() => this.body.destroy(), DRAIN_TIMEOUT_MS)
    this.drainTimer.unref()
  }

  private take(): ResponsesEvent {
    const event = this.queue[this.head] as ResponsesEvent
    this.head++
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    return event
  }

  private accept(messages: Array<{ event: string; data: string; id: string | undefined }>): void {
    if (messages.length === 0) return
    for (const message of messages) {
      this.messages++
      const event = toResponsesEvent(message)
      if (event) this.queue.push(event)
    }
    if (this.waiter) {
      if (this.head < this.queue.length) this.wake()
      else this.armIdle()
    }
    if (!this.paused && !this.ended && this.queue.length - this.head > HIGH_WATER_EVENTS) {
      this.paused = true
      this.body.pause()
    }
  }

  private fail(error: Error): void {
    if (this.failure || this.ended) return
    this.failure = error
    this.wake()
  }

  private wake(): void {
    const waiter = this.waiter
    if (!waiter) return
    if (this.head < this.queue.length) {
      this.waiter = null
      this.disarmIdle()
      waiter.resolve(this.take())
    } else if (this.failure) {
      this.waiter = null
      this.disarmIdle()
      waiter.reject(this.failure)
    } else if (this.ended) {
      this.waiter = null
      this.disarmIdle()
      waiter.resolve(null)
    }
  }

  private armIdle(): void {
    if (this.idleTimeoutMs <= 0) return
    if (this.idleTimer) {
      this.idleTimer.refresh()
      return
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      const error = this.idleError()
      this.fail(error)
      if (!this.body.destroyed) this.body.destroy(error)
    }, this.idleTimeoutMs)
  }

  private disarmIdle(): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer)
      this.idleTimer = null
    }
  }

  private clearDrain(): void {
    if (this.drainTimer) {
      clearTimeout(this.drainTimer)
      this.drainTimer = null
    }
  }
}

export interface StreamInit {
  pump: EventPump
  buffered: ResponsesEvent[]
  status: number
  headers: Record<string, string>
  attempts: number
  sessionId: string | null
  requestId: string | null
  nowMs: () => number
  secrets: ReadonlyArray<string | null | undefined>
  signal: AbortSignal | undefined
  /** Maps pump rejections (socket errors, abort, idle timeout) to UpstreamErrors. */
  mapError: (error: unknown) => UpstreamError
  onEnd: (info: StreamEndInfo) => void
}

export class UpstreamResponsesStream implements ResponsesStream {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly attempts: number
  readonly sessionId: string | null
  private readonly init: StreamInit
  private readonly buffered: ResponsesEvent[]
  private done = false
  private iterated = false
  private delivered = 0
  private terminal: ResponsesEvent | null = null
  private responseId: string | null = null
  private readonly onAbort: () => void

  constructor(init: StreamInit) {
    this.init = init
    this.status = init.status
    this.headers = init.headers
    this.attempts = init.attempts
    this.sessionId = init.sessionId
    this.buffered = init.buffered
    this.onAbort = () => {
      this.init.pump.destroy(this.init.mapError(this.init.signal?.reason ?? new Error('aborted')))
    }
    if (init.signal) {
      if (init.signal.aborted) this.onAbort()
      else init.signal.addEventListener('abort', this.onAbort, { once: true })
    }
  }

  cancel(): void {
    if (this.done) return
    if (this.terminal) {
      // Stopping right after the terminal event is a normal end: keep the connection reusable.
      this.finish({ status: this.terminal.type === 'response.incomplete' ? 'incomplete' : 'completed' })
      this.init.pump.release()
      return
    }
    this.finish({ status: 'cancelled' })
    this.init.pump.destroy()
  }

  [Symbol.asyncIterator](): AsyncIterator<ResponsesEvent> {
    if (this.iterated) throw new TypeError('A ResponsesStream can be iterated only once.')
    this.iterated = true
    return {
      next: () => this.next(),
      return: async () => {
        this.cancel()
        return { done: true, value: undefined }
      },
      throw: async (error?: unknown) => {
        this.cancel()
        throw error
      },
    }
  }

  private async next(): Promise<IteratorResult<ResponsesEvent>> {
    if (this.done) return { done: true, value: undefined }
    if (this.terminal) {
      // The terminal event was delivered: end cleanly and let the body finish.
      this.cancel()
      return { done: true, value: undefined }
    }
    let event: ResponsesEvent | null
    if (this.buffered.length > 0) {
      event = this.buffered.shift() as ResponsesEvent
    } else {
      try {
        event = await this.init.pump.next()
      } catch (raw) {
        if (this.done) return { done: true, value: undefined }
        const error = isUpstreamError(raw) ? raw : this.init.mapError(raw)
        this.finish({ status: error.code === 'aborted' ? 'cancelled' : 'error', error })
        this.init.pump.destroy()
        throw error
      }
      if (this.done) return { done: true, value: undefined }
      if (event === null) {
        const error = new UpstreamError({ code: 'stream_incomplete', message: STREAM_INCOMPLETE_MESSAGE })
        this.finish({ status: 'error', error })
        this.init.pump.destroy()
        throw error
      }
    }
    return this.deliver(event)
  }

  private deliver(event: ResponsesEvent): IteratorResult<ResponsesEvent> {
    const response = event.response as { id?: unknown } | undefined
    if (response && typeof response.id === 'string') this.responseId = response.id
    if (isFailureEvent(event.type)) {
      const error = errorFromStreamEvent(event, true, this.init.nowMs(), this.init.secrets)
      this.finish({ status: 'failed', error })
      this.init.pump.destroy()
      throw error
    }
    if (isSuccessTerminal(event.type)) this.terminal = event
    this.delivered++
    return { done: false, value: event }
  }

  private finish(outcome: { status: StreamEndStatus; error?: UpstreamError }): void {
    if (this.done) return
    this.done = true
    this.init.signal?.removeEventListener('abort', this.onAbort)
    const response = this.terminal?.response as { usage?: unknown } | undefined
    const usage =
      response && typeof response.usage === 'object' && response.usage !== null
        ? (response.usage as Record<string, unknown>)
        : null
    this.init.onEnd({
      status: outcome.status,
      usage,
      responseId: this.responseId,
      events: this.delivered,
      requestId: this.init.requestId,
      ...(outcome.error ? { error: outcome.error } : {}),
    })
  }
}
