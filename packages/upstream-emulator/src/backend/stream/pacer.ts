/** Pacing of one stream, and the scripted faults that cut it short. */
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

/** Where a paced stream goes: one per transport (SSE today). Batches are never empty for `send`. */
export interface FrameSink<T> {
  /** True once the connection is gone; the pacer stops. */
  readonly gone: boolean
  /** Send frames now. */
  send(frames: T[]): void
  /** Send the last frames (possibly none) and end the answer cleanly. */
  finish(frames: T[]): void
  /** Send the frames (possibly none), then drop the connection on purpose. */
  cut(frames: T[]): void
}

/**
 * Play `frames` into `sink` with pacing, using at most one pending timer. With `gapMs` 0 the
 * frames go out in as few batches as the stall allows. Returns a stop function (used on client
 * disconnect and on emulator close).
 */
export function playFrames<T>(sink: FrameSink<T>, frames: T[], options: WriteOptions): () => void {
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

  const done = (batch: T[]): void => {
    stopped = true
    if (cut) sink.cut(batch)
    else sink.finish(batch)
  }
  const step = (): void => {
    timer = undefined
    if (stopped || sink.gone) return
    if (options.gapMs <= 0) {
      const pauseHere = !stalled && stallAt !== undefined
      const target = pauseHere ? (stallAt as number) : stopAt
      const batch = target > i ? frames.slice(i, target) : []
      i = Math.max(i, target)
      if (pauseHere) {
        if (batch.length > 0) sink.send(batch)
        stalled = true
        timer = setTimeout(step, options.stallMs ?? 0)
        return
      }
      done(batch)
      return
    }
    if (i >= stopAt) {
      done([])
      return
    }
    const frame = frames[i++] as T
    if (i >= stopAt) {
      done([frame])
      return
    }
    sink.send([frame])
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
