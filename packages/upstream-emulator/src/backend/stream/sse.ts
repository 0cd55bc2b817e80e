import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Exchange } from '../../exchange'
import type { StreamScript } from './script'

type Json = Record<string, unknown>

/** `event:`/`data:` framing of each event. */
export function toFrames(events: Json[]): string[] {
  return events.map((event) => `event: ${event.type as string}\ndata: ${JSON.stringify(event)}\n\n`)
}

export interface WriteOptions {
  gapMs: number
  ttftMs: number
  /** Destroy the socket after this many events. */
  cutAfter?: number
  /** End the response cleanly after this many events. */
  endAfter?: number
  /** Pause `stallMs` after this many events. */
  stallAfter?: number
  stallMs?: number
}

/**
 * Write frames with pacing using at most one pending timer. Returns a stop function (used on
 * client disconnect and on emulator close). `onCut` runs when the socket is destroyed on purpose.
 */
export function writeFrames(
  res: ServerResponse,
  frames: string[],
  options: WriteOptions,
  onCut: () => void,
): () => void {
  const cut = options.cutAfter !== undefined
  const stopAt = Math.min(
    frames.length,
    options.cutAfter ?? Number.POSITIVE_INFINITY,
    options.endAfter ?? Number.POSITIVE_INFINITY,
  )
  const stallAt = options.stallAfter
  let stalled = stallAt === undefined || stallAt >= stopAt
  let i = 0
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const done = (chunk: string | null): void => {
    stopped = true
    if (cut) {
      onCut()
      const destroy = (): void => {
        res.destroy()
      }
      if (chunk !== null) res.write(chunk, destroy)
      else destroy()
    } else if (chunk !== null) {
      res.end(chunk)
    } else {
      res.end()
    }
  }
  const step = (): void => {
    timer = undefined
    if (stopped || res.destroyed) return
    if (options.gapMs <= 0) {
      const pauseHere = !stalled && stallAt !== undefined
      const target = pauseHere ? (stallAt as number) : stopAt
      const chunk = target > i ? frames.slice(i, target).join('') : null
      i = Math.max(i, target)
      if (pauseHere) {
        if (chunk !== null) res.write(chunk)
        stalled = true
        timer = setTimeout(step, options.stallMs ?? 0)
        return
      }
      done(chunk)
      return
    }
    if (i >= stopAt) {
      done(null)
      return
    }
    const chunk = frames[i++] as string
    if (i >= stopAt) {
      done(chunk)
      return
    }
    res.write(chunk)
    let delay = options.gapMs
    if (!stalled && i === stallAt) {
      stalled = true
      delay += options.stallMs ?? 0
    }
    timer = setTimeout(step, delay)
  }

  let first = options.ttftMs
  if (!stalled && stallAt === 0) {
    stalled = true
    first += options.stallMs ?? 0
  }
  if (first > 0) timer = setTimeout(step, first)
  else step()

  return () => {
    stopped = true
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
}

/**
 * Answer `ex` with the scripted stream as `text/event-stream`: headers now, frames paced by the
 * script. `close()` of the emulator and the client going away both stop it.
 */
export function sendSse(ex: Exchange, script: StreamScript, headers: OutgoingHttpHeaders): void {
  const { res, record, state } = ex
  const streams = state.timers.streams
  const frames = toFrames(script.events)
  const streamHeaders: OutgoingHttpHeaders = { ...headers, 'cache-control': 'no-cache' }
  if (script.contentType) streamHeaders['content-type'] = 'text/event-stream; charset=utf-8'
  res.writeHead(200, streamHeaders)
  res.flushHeaders()
  let stop: (() => void) | undefined
  const cleanup = (): void => {
    if (stop) {
      stop()
      streams.delete(stop)
    }
  }
  res.once('close', cleanup)
  stop = writeFrames(res, frames, script.write, () => {
    record.outcome = 'destroyed'
  })
  if (res.writableEnded || res.destroyed) cleanup()
  else streams.add(stop)
}
