// undici, loaded on first use. It is ~18 MB of a relay's resident memory and a large part of a
// short CLI command's start-up; importing the upstream client (or creating one) must not pay for
// it, only the first HTTP call does. undici is CommonJS, so a synchronous require keeps every call
// site synchronous; it is the same module instance an `import 'undici'` elsewhere gets.
import { createRequire } from 'node:module'
import type * as Undici from 'undici'
import type { Dispatcher } from 'undici'

let loaded: typeof Undici | undefined

/** The undici module, required on the first call. */
export function undici(): typeof Undici {
  loaded ??= createRequire(import.meta.url)('undici') as typeof Undici
  return loaded
}

/**
 * A dispatcher that creates the real one (`create`) on its first request, so a client that is
 * built but never used (an idle relay, `airelays status` without a login) loads no undici. Closing
 * it before any request closes nothing; a request after `close()` fails as a closed agent's does.
 */
class LazyDispatcher {
  #create: () => Dispatcher
  #agent: Dispatcher | undefined
  #closed = false

  constructor(create: () => Dispatcher) {
    this.#create = create
  }

  #real(): Dispatcher {
    if (!this.#agent) {
      if (this.#closed) throw new (undici().errors.ClientClosedError)()
      this.#agent = this.#create()
    }
    return this.#agent
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.#real().dispatch(options, handler)
  }

  close(): Promise<void> {
    this.#closed = true
    return this.#agent ? this.#agent.close() : Promise.resolve()
  }

  destroy(error?: Error | null): Promise<void> {
    this.#closed = true
    return this.#agent ? this.#agent.destroy(error ?? null) : Promise.resolve()
  }
}

/** Wrap `create` in a dispatcher that calls it on the first request (see `LazyDispatcher`). */
export function lazyDispatcher(create: () => Dispatcher): Dispatcher {
  return new LazyDispatcher(create) as unknown as Dispatcher
}
