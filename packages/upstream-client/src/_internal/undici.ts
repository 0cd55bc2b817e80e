// undici, loaded on first use, and only the parts the client sends with. undici's index
// (`require('undici')`) loads ~110 files: fetch, WebSocket, EventSource, mocks, cache stores and
// every interceptor beside the dispatchers; a relay that only sends requests through one agent
// holds about 1.8 MB more V8 heap for them (bench/findings.md, "Relay memory").
// The parts are required from their own files of the pinned undici version (it has no `exports`
// map, so these paths are reachable; `undici.test.ts` checks they are the same objects the index
// exports). Importing the upstream client (or creating one) loads none of it, only the first HTTP
// call does. undici is CommonJS, so a synchronous require keeps every call site synchronous.
import { createRequire } from 'node:module'
import type * as Undici from 'undici'
import type { Dispatcher } from 'undici'

const load = createRequire(import.meta.url)

/** undici's files this client uses (relative to its package root). */
export const UNDICI_PARTS = {
  Agent: 'undici/lib/dispatcher/agent.js',
  EnvHttpProxyAgent: 'undici/lib/dispatcher/env-http-proxy-agent.js',
  errors: 'undici/lib/core/errors.js',
  api: 'undici/lib/api/index.js',
} as const

type ApiRequest = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>

let plainAgentClass: typeof Undici.Agent | undefined
let agentClass: typeof Undici.EnvHttpProxyAgent | undefined
let errorClasses: typeof Undici.errors | undefined
let apiRequest: ApiRequest | undefined

/** `undici.Agent`, required on the first call. */
export function undiciAgent(): typeof Undici.Agent {
  plainAgentClass ??= load(UNDICI_PARTS.Agent) as typeof Undici.Agent
  return plainAgentClass
}

/** `undici.EnvHttpProxyAgent`, required on the first call. */
export function envHttpProxyAgent(): typeof Undici.EnvHttpProxyAgent {
  agentClass ??= load(UNDICI_PARTS.EnvHttpProxyAgent) as typeof Undici.EnvHttpProxyAgent
  return agentClass
}

/** `undici.errors`, required on the first call. */
export function undiciErrors(): typeof Undici.errors {
  errorClasses ??= load(UNDICI_PARTS.errors) as typeof Undici.errors
  return errorClasses
}

/**
 * `undici.request(url, { ...options, dispatcher })`: what undici's index wraps around the
 * dispatcher API's `request` (the URL split into origin and path), without loading the index.
 */
export function undiciRequest(
  url: string,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher },
): Promise<Dispatcher.ResponseData> {
  const target = new URL(url)
  const { dispatcher, ...rest } = options
  apiRequest ??= (load(UNDICI_PARTS.api) as { request: ApiRequest }).request
  return apiRequest.call(dispatcher, {
    ...rest,
    origin: target.origin,
    path: target.search ? `${target.pathname}${target.search}` : target.pathname,
  })
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
      if (this.#closed) throw new (undiciErrors().ClientClosedError)()
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
