// `transport: 'node'`: backend and issuer calls over node:http / node:https instead of undici.
// Requiring undici costs a short command about 130 ms on two cores (its ~110 modules, http2, and
// Node's own bundled undici that its cookie helpers pull in); a command that makes three GETs and
// exits (`airelays status`) spends more on that than on the calls. One connection per request, no
// pool, no proxy (the client keeps undici when a proxy applies). Every call site sends through
// `requestVia`, so the rest of the client does not know which transport it has.
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import type { RequestBody } from './json-body'
import { undiciRequest } from './undici'

/** What the client's call sites pass to a request (a subset of undici's `request` options). */
export interface SendOptions {
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: RequestBody
  signal?: AbortSignal
  /** Longest wait from the start of the request to the response headers, in ms (0: none). */
  headersTimeout: number
  /** undici only: longest silence while the body is read (the node transport relies on `signal`). */
  bodyTimeout?: number
}

/** Status, headers and the unread body (a Readable; undici's BodyReadable or an IncomingMessage). */
export interface SentResponse {
  statusCode: number
  headers: IncomingHttpHeaders
  body: Dispatcher.ResponseData['body']
}

type Send = (url: string, options: SendOptions) => Promise<SentResponse>

const SEND = Symbol('airelays.nodeTransport.send')

/** Send `options` to `url` with node:http or node:https; rejects like undici on transport failures. */
async function nodeSend(url: string, options: SendOptions): Promise<SentResponse> {
  const target = new URL(url)
  const { request } = target.protocol === 'https:' ? await import('node:https') : await import('node:http')
  const headers: Record<string, string> = { ...options.headers }
  if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length'))
    headers['content-length'] = String(Buffer.byteLength(options.body))
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: options.method,
      headers,
      agent: false,
      ...(options.signal ? { signal: options.signal } : {}),
    })
    const timer =
      options.headersTimeout > 0
        ? setTimeout(() => {
            const error = new Error(`No response headers within ${options.headersTimeout} ms`)
            error.name = 'TimeoutError'
            req.destroy(error)
          }, options.headersTimeout)
        : undefined
    req.once('response', (response) => {
      clearTimeout(timer)
      resolve({
        statusCode: response.statusCode ?? 0,
        headers: response.headers,
        body: response as unknown as Dispatcher.ResponseData['body'],
      })
    })
    req.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    req.end(options.body)
  })
}

/**
 * The dispatcher of a client with `transport: 'node'`: it carries the node:http sender for
 * `requestVia`; undici's `dispatch` is never called on it. Closing it is a no-op (there is no pool).
 */
export function createNodeDispatcher(): Dispatcher {
  const dispatcher = {
    [SEND]: nodeSend,
    dispatch(): boolean {
      throw new Error('the node transport sends through requestVia, not dispatch()')
    },
    close: (): Promise<void> => Promise.resolve(),
    destroy: (): Promise<void> => Promise.resolve(),
  }
  return dispatcher as unknown as Dispatcher
}

/** One request through `dispatcher`: its node sender when it has one, else undici's `request`. */
export function requestVia(dispatcher: Dispatcher, url: string, options: SendOptions): Promise<SentResponse> {
  const send = (dispatcher as { [SEND]?: Send })[SEND]
  if (send) return send(url, options)
  return undiciRequest(url, { ...options, dispatcher })
}

/**
 * Whether a proxy applies to the client, by the rules of its default dispatcher: a `proxy` value
 * (even `''`) replaces the environment's; `https` falls back to the `http` proxy.
 */
export function proxyConfigured(
  proxy: { httpProxy?: string; httpsProxy?: string } | undefined,
  env: NodeJS.ProcessEnv,
): boolean {
  const http = proxy?.httpProxy !== undefined ? proxy.httpProxy : (env.http_proxy ?? env.HTTP_PROXY)
  const https = proxy?.httpsProxy !== undefined ? proxy.httpsProxy : (env.https_proxy ?? env.HTTPS_PROXY)
  return Boolean(http || https)
}
