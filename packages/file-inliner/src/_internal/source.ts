import type { Readable } from 'node:stream'
import { FileInlinerError } from '../errors'
import type { UploadSource } from '../types'

/** Pulls one chunk at a time; `stop` abandons the source without draining it. */
export interface Puller {
  /** The next chunk, or null at the end. Rejects with the source's own error. */
  next(): Promise<Uint8Array | null>
  /** Stop pulling. Never throws, never waits. */
  stop(): void
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8')
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk)
  throw new FileInlinerError({
    code: 'invalid_option',
    status: 500,
    message: 'Upload sources must yield Uint8Array (or Buffer) chunks.',
  })
}

function isNodeReadable(value: object): value is Readable {
  const candidate = value as Partial<Readable>
  return (
    typeof candidate.read === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.removeListener === 'function' &&
    typeof candidate.pipe === 'function'
  )
}

function isWebReadableStream(value: object): value is ReadableStream<Uint8Array> {
  return typeof (value as Partial<ReadableStream>).getReader === 'function'
}

function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
}

const noop = (): void => undefined

function prematureClose(): Error {
  return Object.assign(new Error('The upload stream closed before it ended.'), {
    code: 'ERR_STREAM_PREMATURE_CLOSE',
  })
}

/**
 * A Node Readable pulled in paused mode through `read()`, so nothing is buffered beyond the
 * stream's own high-water mark. On `stop` the listeners are removed and the stream is left as it is
 * (not destroyed, not resumed): the owner decides whether to close the connection. A no-op error
 * listener stays behind so a late error on the abandoned stream cannot crash the process.
 */
function readablePuller(stream: Readable): Puller {
  let ended = stream.readableEnded
  let failure: unknown = stream.errored ?? undefined
  if (failure === undefined && !ended && stream.destroyed) failure = prematureClose()
  let wake: (() => void) | null = null
  const notify = (): void => {
    const resolve = wake
    wake = null
    resolve?.()
  }
  const onEnd = (): void => {
    ended = true
    notify()
  }
  const onError = (error: unknown): void => {
    failure ??= error
    notify()
  }
  const onClose = (): void => {
    if (!ended && !stream.readableEnded) failure ??= prematureClose()
    notify()
  }
  stream.on('readable', notify)
  stream.on('end', onEnd)
  stream.on('error', onError)
  stream.on('close', onClose)
  let stopped = false
  return {
    async next() {
      for (;;) {
        if (failure !== undefined) throw failure
        const chunk: unknown = stream.read()
        if (chunk !== null) return toBytes(chunk)
        if (ended) return null
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    },
    stop() {
      if (stopped) return
      stopped = true
      stream.removeListener('readable', notify)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      stream.removeListener('close', onClose)
      if (!ended) stream.on('error', noop)
      notify()
    },
  }
}

function webStreamPuller(stream: ReadableStream<Uint8Array>): Puller {
  const reader = stream.getReader()
  let finished = false
  return {
    async next() {
      const result = await reader.read()
      if (result.done) {
        finished = true
        return null
      }
      return toBytes(result.value)
    },
    stop() {
      if (finished) return
      finished = true
      try {
        reader.releaseLock()
      } catch {
        // already released
      }
    },
  }
}

function iteratorPuller(iterable: AsyncIterable<unknown>): Puller {
  const iterator = iterable[Symbol.asyncIterator]()
  let finished = false
  return {
    async next() {
      try {
        const result = await iterator.next()
        if (result.done) {
          finished = true
          return null
        }
        return toBytes(result.value)
      } catch (error) {
        finished = true
        throw error
      }
    },
    stop() {
      if (finished) return
      finished = true
      // Closes a generator (its `finally` runs). Not awaited: a generator stuck on a pending
      // `next()` would make `return()` wait for it.
      Promise.resolve()
        .then(() => iterator.return?.())
        .catch(noop)
    },
  }
}

function bufferPuller(bytes: Uint8Array): Puller {
  let sent = false
  return {
    async next() {
      if (sent) return null
      sent = true
      return bytes
    },
    stop() {
      sent = true
    },
  }
}

export function createPuller(source: UploadSource): Puller {
  if (typeof source !== 'object' || source === null) {
    throw new FileInlinerError({
      code: 'invalid_option',
      status: 500,
      message: 'Upload source must be an async iterable, a ReadableStream, a Node Readable or a Uint8Array.',
    })
  }
  if (source instanceof Uint8Array) return bufferPuller(source)
  if (isNodeReadable(source)) return readablePuller(source)
  if (isWebReadableStream(source)) return webStreamPuller(source)
  if (isAsyncIterable(source)) return iteratorPuller(source)
  throw new FileInlinerError({
    code: 'invalid_option',
    status: 500,
    message: 'Upload source must be an async iterable, a ReadableStream, a Node Readable or a Uint8Array.',
  })
}
