import { performance } from 'node:perf_hooks'

/** How an SSE response ended. */
export type StreamOutcome = 'completed' | 'failed' | 'client_disconnected' | 'terminated'

/** A frame producer's verdict: frames to write, then whether the stream ended cleanly. */
export interface SseFrames {
  /** Yields SSE frames (already formatted, each ending with a blank line). */
  frames: AsyncIterator<string, StreamOutcome>
  /** The in-band error frame written when the relay ends the stream itself (shutdown, bug). */
  errorFrame: (error: unknown) => string
}

/** Options of {@link createSseBody}. */
export interface SseBodyOptions {
  /** Write `: keep-alive` after this many idle milliseconds. */
  keepAliveMs: number
  /** Called exactly once when the stream ends for any reason. */
  onFinish: (outcome: StreamOutcome, error?: unknown) => void
  /** Called when the client goes away or the relay terminates the stream: abort the upstream here. */
  onAbort: (reason: unknown) => void
  /** Called with each frame written (for logging), optional. */
  onFrame?: (frame: string) => void
}

/** A streaming SSE body plus a handle to end it from outside (graceful shutdown). */
export interface SseBody {
  stream: ReadableStream<Uint8Array>
  /** End the stream now with the in-band error frame for `error` (no `[DONE]`), aborting upstream. */
  terminate: (error: unknown) => void
}

const encoder = new TextEncoder()
const KEEP_ALIVE = encoder.encode(': keep-alive\n\n')

/**
 * A pull-based SSE body: the next upstream frame is requested only when the client has taken the
 * previous one (the Node adapter awaits `drain`), so a slow reader pauses the upstream instead of
 * filling memory. Nothing is buffered beyond one frame. Idle periods get a keep-alive comment.
 */
export function createSseBody(source: SseFrames, opts: SseBodyOptions): SseBody {
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null
  let finished = false
  let timer: NodeJS.Timeout | null = null
  let lastWrite = performance.now()

  const clearTimer = (): void => {
    if (timer) clearTimeout(timer)
    timer = null
  }
  // One timer per stream, re-armed only when it fires (not per frame): it writes the comment when
  // nothing was written for `keepAliveMs`, else sleeps for the remaining idle time.
  const armTimer = (delay: number): void => {
    if (opts.keepAliveMs <= 0 || finished) return
    timer = setTimeout(onTimer, delay)
    timer.unref?.()
  }
  const onTimer = (): void => {
    timer = null
    if (finished || !controller) return
    const idle = performance.now() - lastWrite
    if (idle + 1 < opts.keepAliveMs) {
      armTimer(opts.keepAliveMs - idle)
      return
    }
    try {
      controller.enqueue(KEEP_ALIVE)
    } catch {
      return
    }
    lastWrite = performance.now()
    armTimer(opts.keepAliveMs)
  }

  const finish = (outcome: StreamOutcome, error?: unknown): void => {
    if (finished) return
    finished = true
    clearTimer()
    opts.onFinish(outcome, error)
  }

  const write = (frame: string): void => {
    controller?.enqueue(encoder.encode(frame))
    lastWrite = performance.now()
    opts.onFrame?.(frame)
  }

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
        armTimer(opts.keepAliveMs)
      },
      async pull(c) {
        if (finished) return
        let step: IteratorResult<string, StreamOutcome>
        try {
          step = await source.frames.next()
        } catch (error) {
          if (finished) return
          try {
            write(source.errorFrame(error))
            c.close()
          } catch {
            // the client is already gone
          }
          finish('failed', error)
          return
        }
        if (finished) return
        if (step.done) {
          c.close()
          finish(step.value)
          return
        }
        write(step.value)
      },
      cancel(reason) {
        if (finished) return
        finish('client_disconnected', reason)
        opts.onAbort(reason)
        void source.frames.return?.('client_disconnected').catch(() => {})
      },
    },
    { highWaterMark: 1 },
  )

  return {
    stream,
    terminate(error) {
      if (finished) return
      try {
        write(source.errorFrame(error))
        controller?.close()
      } catch {
        // already closed by the client
      }
      finish('terminated', error)
      opts.onAbort(error)
    },
  }
}

/** `data: <json>\n\n`. */
export function dataFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`
}

/** `event: <name>\ndata: <json>\n\n`. */
export function eventFrame(name: string, payload: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`
}

/** The terminal `[DONE]` frame of Chat Completions / Completions streams. */
export const DONE_FRAME = 'data: [DONE]\n\n'
