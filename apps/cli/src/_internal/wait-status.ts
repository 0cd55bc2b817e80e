import type { Printer } from './output'

/** Options of {@link startWaitStatus}. */
export interface WaitStatusOptions {
  /** e.g. "Waiting for approval". */
  label: string
  /** When the wait gives up. */
  expiresAt: Date
  /** Rewrite one line in place (a TTY) instead of printing heartbeat lines. */
  live: boolean
  /** Heartbeat period when not live, in ms. @default 15000 */
  heartbeatMs?: number
  /** Epoch-ms clock. @default Date.now */
  clock?: () => number
}

/** A status line that is running; `stop()` clears it (live) and ends the timer. */
export interface WaitStatus {
  stop(): void
}

/** "M:SS" of a number of seconds (minutes are not capped at 59). */
export function formatRemaining(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds))
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`
}

/** "<label>... (expires in M:SS, Ctrl-C to cancel)". */
export function waitLine(label: string, remainingSeconds: number): string {
  return `${label}... (expires in ${formatRemaining(remainingSeconds)}, Ctrl-C to cancel)`
}

/**
 * Shows how long a login may still wait. On a TTY the line is rewritten in place every second
 * (`\r`); otherwise a heartbeat line is printed at once and then at most every 15 s.
 */
export function startWaitStatus(out: Printer, options: WaitStatusOptions): WaitStatus {
  const clock = options.clock ?? Date.now
  const text = (): string => waitLine(options.label, (options.expiresAt.getTime() - clock()) / 1000)
  if (options.live) {
    const draw = (): void => out.write(`\r\u001b[2K${out.style.dim(text())}`)
    draw()
    const timer = setInterval(draw, 1000)
    return {
      stop(): void {
        clearInterval(timer)
        out.write('\r\u001b[2K')
      },
    }
  }
  out.line(text())
  const timer = setInterval(() => out.line(text()), options.heartbeatMs ?? 15_000)
  return {
    stop(): void {
      clearInterval(timer)
    },
  }
}
