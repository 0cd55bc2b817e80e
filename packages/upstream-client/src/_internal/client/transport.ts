// One HTTP call to the Codex backend (with the request/response hooks), the authenticated GET with the
// 401 → reload/refresh → retry-once rule, and the mapping of transport failures and error statuses.
import { performance } from 'node:perf_hooks'
import type { Dispatcher } from 'undici'
import { isUpstreamError, type UpstreamError } from '../../errors'
import {
  abortedError,
  errorFromHttpResponse,
  errorFromTransport,
  headersToRecord,
  readBodyText,
} from '../http'
import type { RequestBody } from '../json-body'
import { requestVia, type SentResponse } from '../node-transport'
import type { ReadyAuth } from '../tokens'
import { type ClientContext, callHook, ensureOpen, identityHeaders } from './context'
import { secretsOf } from './credentials'

/** One backend HTTP request. */
export interface BackendRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: RequestBody | undefined
  signal?: AbortSignal | undefined
  /** 1-based attempt number, for the hooks. */
  attempt: number
  /** The caller's request id, for the hooks. */
  requestId?: string | null
  /** The session id sent upstream, for the hooks. */
  sessionId?: string | null
}

/** Status, flattened headers and the unread body of a backend response. */
export interface BackendResponse {
  statusCode: number
  headers: Record<string, string>
  body: Dispatcher.ResponseData['body']
}

/** A fully read backend response and the credentials it was made with. */
export interface AuthedResult {
  status: number
  headers: Record<string, string>
  text: string
  ready: ReadyAuth
}

/** The last `authorization` value built per client, reused while the access token is the same. */
const authorizations = new WeakMap<ClientContext, { token: string; value: string }>()

/**
 * `Bearer <access token>`, one string per token rather than one per call: undici keeps the
 * header (flattened, ~850 bytes for a ChatGPT token) until the response ends, so with a string
 * per call every open stream held its own copy (bench/findings.md, "Relay memory").
 */
export function authorizationOf(ctx: ClientContext, accessToken: string): string {
  const last = authorizations.get(ctx)
  if (last?.token === accessToken) return last.value
  const value = `Bearer ${accessToken}`
  authorizations.set(ctx, { token: accessToken, value })
  return value
}

/** Headers of a backend call made with `ready`. */
export function backendHeaders(ctx: ClientContext, ready: ReadyAuth, accept: string): Record<string, string> {
  return {
    ...identityHeaders(ctx.settings.identity),
    authorization: authorizationOf(ctx, ready.accessToken),
    'chatgpt-account-id': ready.accountId,
    accept,
    version: ctx.settings.identity.clientVersion,
  }
}

/** A transport failure as an `UpstreamError` (`aborted` when the caller's signal fired). */
export function transportFailure(
  ctx: ClientContext,
  error: unknown,
  signal: AbortSignal | undefined,
  what: string,
): UpstreamError {
  if (signal?.aborted) return abortedError(signal.reason)
  if (isUpstreamError(error)) return error
  return errorFromTransport(error, what, ctx.settings.requestTimeoutMs)
}

/** The error for a read response with status >= 400. */
export function httpFailure(ctx: ClientContext, result: AuthedResult, what: string): UpstreamError {
  return errorFromHttpResponse({
    status: result.status,
    headers: result.headers,
    text: result.text,
    nowMs: ctx.clock(),
    secrets: secretsOf(result.ready),
    what,
    hint: ctx.settings.loginHint('first'),
  })
}

/** Send one request; resolves when the response headers arrived (any status). */
export async function sendBackend(ctx: ClientContext, req: BackendRequest): Promise<BackendResponse> {
  ensureOpen(ctx)
  const { method, url, attempt } = req
  const requestId = req.requestId ?? null
  callHook(ctx.hooks.onRequest, { method, url, attempt, requestId, sessionId: req.sessionId ?? null })
  const started = performance.now()
  let response: SentResponse
  try {
    response = await requestVia(ctx.dispatcher, url, {
      method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
      headersTimeout: ctx.settings.requestTimeoutMs,
      bodyTimeout: 0,
    })
  } catch (error) {
    throw transportFailure(ctx, error, req.signal, 'Upstream request')
  }
  const headers = headersToRecord(response.headers)
  callHook(ctx.hooks.onResponse, {
    method,
    url,
    attempt,
    requestId,
    status: response.statusCode,
    headers,
    durationMs: performance.now() - started,
  })
  return { statusCode: response.statusCode, headers, body: response.body }
}

/** One authenticated GET, read in full; an upstream 401 reloads or refreshes and retries once. */
export async function getWithAuth(
  ctx: ClientContext,
  get: { url: string; what: string; signal: AbortSignal | undefined },
): Promise<AuthedResult> {
  const { url, what, signal } = get
  let ready = await ctx.credentials.ready({ signal })
  let recovered = false
  for (let attempt = 1; ; attempt++) {
    const result = await sendBackend(ctx, {
      method: 'GET',
      url,
      headers: backendHeaders(ctx, ready, 'application/json'),
      signal,
      attempt,
    })
    const text = await readBodyText(result.body).catch((error: unknown) => {
      throw transportFailure(ctx, error, signal, what)
    })
    if (result.statusCode === 401 && !recovered) {
      recovered = true
      ready = await ctx.credentials.recover(ready, { signal })
      continue
    }
    return { status: result.statusCode, headers: result.headers, text, ready }
  }
}
