import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { FrameWriter, StreamOutcome } from './frame-writer'

/** The upstream side of a stream: events to iterate, and a way to stop them. */
export interface EventSource<E> extends AsyncIterable<E> {
  /** Stop the upstream now (after its terminal event: release the connection). */
  cancel(): void
}

/**
 * Where the bytes of an SSE response go. `write` says whether more may be written now; when it
 * says no, the writer waits for `ready()` (which also resolves once the client is gone).
 */
export interface SseSink {
  write(text: string): boolean
  ready(): Promise<void>
  end(): void
}

/** Options of {@link startSseStream}. */
export interface SseStreamOptions<E> {
  /** The upstream events. Iterated once; cancelled when the stream ends early or cleanly. */
  events: EventSource<E>
  /** Turns each event into frames (and writes the in-band error frame when the relay ends the stream). */
  writer: FrameWriter<E>
  /** Write `: keep-alive` after this many idle milliseconds (0 disables it). */
  keepAliveMs: number
  /** Write a `: keep-alive` comment first, before any event (the headers go out with it). */
  leadingKeepAlive?: boolean
  /** Called with each upstream event before it is translated (observation, logging), optional. */
  onEvent?: (event: E) => void
  /** Called with each frame written (counting, logging), optional. */
  onFrame?: (frame: string) => void
  /** Called exactly once when the stream ends for any reason (`error`: a relay-side failure). */
  onFinish: (outcome: StreamOutcome, error?: unknown) => void
  /** Called when the client goes away or the relay terminates the stream: abort the upstream here. */
  onAbort: (reason: unknown) => void
}

/** A running SSE stream. */
export interface SseStream {
  /** End the stream now with the in-band error frame for `error` (no `[DONE]`), aborting upstream. */
  terminate(error: unknown): void
  /** Resolves once the stream has ended (for any reason); never rejects. */
  readonly done: Promise<void>
}

const KEEP_ALIVE = ': keep-alive\n\n'
const encoder = new TextEncoder()

/** A macrotask boundary: lets Node flush what was written (it uncorks the socket on the next tick). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * The response side of a stream: pulls upstream events one at a time, translates each one
 * synchronously and writes its frames at once. The next event is requested only when the sink
 * takes more (Node's `drain`, or the Web stream's `pull`), so a slow reader pauses the upstream
 * instead of filling memory. The first frames are flushed before anything else is processed,
 * so a burst of upstream events never delays the first token. Idle periods get a keep-alive
 * comment (one timer per stream, re-armed only when it fires).
 */
export function startSseStream<E>(
  createSink: (onGone: (reason?: unknown) => void) => SseSink,
  opts: SseStreamOptions<E>,
): SseStream {
  let finished = false
  let timer: NodeJS.Timeout | null = null
  let lastWrite = performance.now()
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve
  })

  const finish = (outcome: StreamOutcome, error?: unknown): void => {
    if (finished) return
    finished = true
    if (timer) clearTimeout(timer)
    timer = null
    try {
      opts.onFinish(outcome, error)
    } finally {
      resolveDone()
    }
  }

  const sink = createSink((reason) => {
    if (finished) return
    finish('client_disconnected', reason)
    opts.onAbort(reason)
  })

  const write = (frames: string[]): boolean => {
    const text = frames.length === 1 ? (frames[0] as string) : frames.join('')
    const more = sink.write(text)
    lastWrite = performance.now()
    if (opts.onFrame) for (const frame of frames) opts.onFrame(frame)
    frames.length = 0
    return more
  }

  const armTimer = (delay: number): void => {
    if (opts.keepAliveMs <= 0 || finished) return
    timer = setTimeout(onTimer, delay)
    timer.unref?.()
  }
  function onTimer(): void {
    timer = null
    if (finished) return
    const idle = performance.now() - lastWrite
    if (idle + 1 < opts.keepAliveMs) {
      armTimer(opts.keepAliveMs - idle)
      return
    }
    sink.write(opts.writer.keepAliveFrame ?? KEEP_ALIVE)
    lastWrite = performance.now()
    armTimer(opts.keepAliveMs)
  }

  /** End cleanly after the translator's last frames. */
  const close = (outcome: StreamOutcome, out: string[]): void => {
    if (out.length > 0) write(out)
    sink.end()
    finish(outcome)
  }

  const run = async (): Promise<void> => {
    const iterator = opts.events[Symbol.asyncIterator]()
    const out: string[] = []
    let flushed = false
    for (;;) {
      let step: IteratorResult<E>
      try {
        step = await iterator.next()
      } catch (error) {
        if (finished) return
        close(opts.writer.fail(error, out), out)
        return
      }
      if (finished) return
      if (step.done) {
        close(opts.writer.end(out), out)
        return
      }
      opts.onEvent?.(step.value)
      const outcome = opts.writer.push(step.value, out)
      if (outcome !== null) {
        close(outcome, out)
        opts.events.cancel()
        return
      }
      if (out.length === 0) continue
      const more = write(out)
      if (!flushed) {
        flushed = true
        await nextTurn()
        if (finished) return
      }
      if (!more) await sink.ready()
      if (finished) return
    }
  }

  /** The relay ends the stream itself: the in-band error frame (no `[DONE]`), then abort upstream. */
  const abortWith = (outcome: 'failed' | 'terminated', error: unknown): void => {
    if (finished) return
    try {
      sink.write(opts.writer.abortFrame(error))
      sink.end()
    } catch {
      // the client is already gone
    }
    finish(outcome, error)
    opts.onAbort(error)
  }

  if (opts.leadingKeepAlive) {
    sink.write(KEEP_ALIVE)
    lastWrite = performance.now()
  }
  armTimer(opts.keepAliveMs)
  // A bug in translation or logging ends the stream in-band instead of leaving it open.
  void run().catch((error: unknown) => abortWith('failed', error))

  return { done, terminate: (error) => abortWith('terminated', error) }
}

/** Promises waiting for a sink to take more, all released at once. */
function waitList(): { wait: () => Promise<void>; wake: () => void } {
  let waiters: (() => void)[] = []
  return {
    wait: () => new Promise((resolve) => waiters.push(resolve)),
    wake: () => {
      const pending = waiters
      waiters = []
      for (const resolve of pending) resolve()
    },
  }
}

/**
 * A sink writing straight to Node's `ServerResponse`. Once the head is out and the answer is
 * chunked (any HTTP/1.1 client), each write goes to the socket as one ready-framed chunk
 * (`<size>\r\n<text>\r\n`): Node's own chunked path costs about a third more per frame
 * (three buffered writes and a `writev` each, bench/findings.md). The socket is corked until the
 * next tick as Node does, so frames written in the same turn still leave in one system call.
 * Otherwise (head not sent, HTTP/1.0) the response frames its body itself. The response head must
 * already be set with `writeHead`; `res.end()` writes the last chunk either way.
 */
export function nodeSink(res: ServerResponse): (onGone: (reason?: unknown) => void) => SseSink {
  return (onGone) => {
    let ended = false
    const { wait, wake } = waitList()
    const socket = res.socket
    if (res.destroyed) {
      // The client left while the upstream call was being made: its `close` has already fired.
      queueMicrotask(() => onGone())
    } else {
      res.on('drain', wake)
      socket?.on('drain', wake)
      res.once('close', () => {
        res.off('drain', wake)
        socket?.off('drain', wake)
        wake()
        if (!res.writableFinished) onGone()
      })
    }
    return {
      write(text) {
        if (ended || res.destroyed) return true
        if (!socket || socket.destroyed || !res.headersSent || !res.chunkedEncoding) return res.write(text)
        if (!socket.writableCorked) {
          socket.cork()
          process.nextTick(uncork, socket)
        }
        return socket.write(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`)
      },
      ready() {
        if (ended || res.destroyed) return Promise.resolve()
        if (!res.writableNeedDrain && !(socket?.writableNeedDrain ?? false)) return Promise.resolve()
        return wait()
      },
      end() {
        if (ended) return
        ended = true
        if (!res.destroyed) res.end()
      },
    }
  }
}

function uncork(socket: Socket): void {
  socket.uncork()
}

/**
 * A sink that is a WHATWG `ReadableStream` (for `app.fetch` and mounted apps): one encoded chunk
 * per write, more only once the reader took the previous one.
 */
export function webSink(): {
  stream: ReadableStream<Uint8Array>
  sink: (onGone: (reason?: unknown) => void) => SseSink
} {
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null
  let closed = false
  const { wait, wake } = waitList()
  let gone: ((reason?: unknown) => void) | null = null
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      pull() {
        wake()
      },
      cancel(reason) {
        closed = true
        wake()
        gone?.(reason)
      },
    },
    { highWaterMark: 1 },
  )
  return {
    stream,
    sink: (onGone) => {
      gone = onGone
      return {
        write(text) {
          if (closed || !controller) return true
          controller.enqueue(encoder.encode(text))
          return (controller.desiredSize ?? 0) > 0
        },
        ready() {
          if (closed || !controller || (controller.desiredSize ?? 0) > 0) return Promise.resolve()
          return wait()
        },
        end() {
          if (closed) return
          closed = true
          wake()
          try {
            controller?.close()
          } catch {
            // cancelled meanwhile
          }
        },
      }
    },
  }
}
