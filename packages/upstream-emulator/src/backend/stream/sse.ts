import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Exchange } from '../../exchange'
import { type FrameSink, playFrames } from './pacer'
import type { StreamScript } from './script'

type Json = Record<string, unknown>

/** `event:`/`data:` framing of each event. */
export function toFrames(events: Json[]): string[] {
  return events.map((event) => `event: ${event.type as string}\ndata: ${JSON.stringify(event)}\n\n`)
}

/** The SSE sink: batches are joined into one write. `onCut` runs when the stream is cut on purpose. */
function sseSink(res: ServerResponse, onCut: () => void): FrameSink<string> {
  return {
    get gone() {
      return res.destroyed
    },
    send: (frames) => {
      res.write(frames.join(''))
    },
    finish: (frames) => {
      if (frames.length > 0) res.end(frames.join(''))
      else res.end()
    },
    cut: (frames) => {
      onCut()
      const destroy = (): void => {
        res.destroy()
      }
      if (frames.length > 0) res.write(frames.join(''), destroy)
      else destroy()
    },
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
  const sink = sseSink(res, () => {
    record.outcome = 'destroyed'
  })
  stop = playFrames(sink, frames, script.write)
  if (res.writableEnded || res.destroyed) cleanup()
  else streams.add(stop)
}
