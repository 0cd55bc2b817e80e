import type { ServerResponse } from 'node:http'
import type { SseSink } from './sse-stream'

const encoder = new TextEncoder()

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
 * A sink writing straight to Node's `ServerResponse` (strings, no per-frame copies; frames written
 * in the same turn leave in one `writev`). The response head must already be set with `writeHead`.
 */
export function nodeSink(res: ServerResponse): (onGone: (reason?: unknown) => void) => SseSink {
  return (onGone) => {
    let ended = false
    const { wait, wake } = waitList()
    if (res.destroyed) {
      // The client left while the upstream call was being made: its `close` has already fired.
      queueMicrotask(() => onGone())
    } else {
      res.on('drain', wake)
      res.once('close', () => {
        res.off('drain', wake)
        wake()
        if (!res.writableFinished) onGone()
      })
    }
    return {
      write(text) {
        if (ended || res.destroyed) return true
        return res.write(text)
      },
      ready() {
        if (ended || res.destroyed || !res.writableNeedDrain) return Promise.resolve()
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
