/** How a request ended, as the `outbound_response` record tells it. */
export type RequestOutcome = 'completed' | 'failed' | 'client_disconnected' | 'terminated'

/** The status and outcome a request finished with. */
export interface RequestEnding {
  status: number
  outcome: RequestOutcome
}

/**
 * When a request ends: once the core has answered and every body that outlives the handler (a
 * stream, a download) has ended, whichever comes last. Calls `finish` exactly once; an outcome
 * other than `completed` (a body that failed or was cut) wins over the core's.
 */
export class RequestEnd {
  readonly #finish: (ending: RequestEnding) => void
  #openBodies = 0
  #ending: RequestEnding | null = null
  #finished = false

  constructor(finish: (ending: RequestEnding) => void) {
    this.#finish = finish
  }

  /** A body outlives the handler: the request ends only once the returned function was called. */
  keepOpen(): (outcome: RequestOutcome) => void {
    this.#openBodies++
    let closed = false
    return (outcome) => {
      if (closed) return
      closed = true
      this.#openBodies--
      this.#settle({ status: 200, outcome })
    }
  }

  /** The core answered with `status`. */
  answered(status: number): void {
    this.#settle({ status, outcome: 'completed' })
  }

  #settle(ending: RequestEnding): void {
    if (ending.outcome !== 'completed' || this.#ending === null) this.#ending = ending
    if (this.#openBodies > 0 || this.#finished) return
    this.#finished = true
    this.#finish(this.#ending)
  }
}
