// The dashboard's calls to its relay: its own origin only, the relay token from sessionStorage as
// a bearer header (an EventSource could not send one), never cookies.

import type { Json } from './dom'

const root = document.documentElement
/** The relay's mount prefix (`''` standalone). */
export const BASE: string = root.dataset.base ?? ''
/** Whether the relay asks for its token (false in open mode). */
export const NEEDS_TOKEN: boolean = root.dataset.auth !== 'open'
const TOKEN_KEY = 'airelays.dashboard.token'

/** The relay refused the token (the page asks for it again). */
export class Unauthorized extends Error {}

/** An error answer of the relay, with its envelope's message and param. */
export class ApiError extends Error {
  readonly status: number
  readonly param: string | null
  constructor(status: number, message: string, param: string | null) {
    super(message)
    this.status = status
    this.param = param
  }
}

/** The token kept for this tab, if any. */
export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY)
}

/** Keep `value` for this tab (null forgets it). */
export function setToken(value: string | null): void {
  if (value === null) sessionStorage.removeItem(TOKEN_KEY)
  else sessionStorage.setItem(TOKEN_KEY, value)
}

/** `fetch` on the relay with the token; a 401 throws {@link Unauthorized}. */
export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  const t = token()
  if (t) headers.set('authorization', `Bearer ${t}`)
  const res = await fetch(`${BASE}${path}`, { ...init, headers, cache: 'no-store', credentials: 'omit' })
  if (res.status === 401) throw new Unauthorized('The relay refused the token.')
  return res
}

/** Call a JSON route; a non-2xx answer throws {@link ApiError} with the envelope's message. */
export async function call(path: string, method = 'GET', body?: unknown): Promise<Json> {
  const init: RequestInit = { method }
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  const res = await api(path, init)
  const answer = (await res.json().catch(() => ({}))) as Json
  if (!res.ok) {
    const error = answer.error as Json | undefined
    const param = typeof error?.param === 'string' ? error.param : null
    throw new ApiError(res.status, String(error?.message ?? `HTTP ${res.status}`), param)
  }
  return answer
}

/** `GET` a JSON route. */
export function getJson(path: string): Promise<Json> {
  return call(path)
}
