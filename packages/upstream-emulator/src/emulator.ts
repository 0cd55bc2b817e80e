import { createHash, randomBytes, randomUUID } from 'node:crypto'
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { type EndpointRoute, isPreKind, matches, validateBehaviour } from './_internal/behaviours'
import { isRejection, openaiError, validateResponsesBody } from './_internal/backend'
import {
  escapeHtml,
  headerRecord,
  htmlPage,
  type ReadBody,
  readBody,
  sendJson,
  sendText,
} from './_internal/http'
import { compareVersions, defaultModels, parseVersion } from './_internal/models'
import { DEFAULT_TEXT, defaultPlan, type ReplyPlan, scriptedPlan } from './_internal/replies'
import {
  buildEvents,
  estimateInputTokens,
  type StreamEnding,
  toFrames,
  type WriteOptions,
  writeFrames,
} from './_internal/stream'
import { type Identity, randomId, s256, TokenRegistry } from './_internal/tokens'
import { UpstreamEmulatorError } from './errors'
import type {
  EmulatorBehaviour,
  EmulatorModel,
  EmulatorStats,
  EmulatorUsageSettings,
  IssuedTokens,
  IssueTokensOptions,
  RecordedRequest,
  StoredAuth,
  UpstreamEmulator,
  UpstreamEmulatorOptions,
} from './types'

/** The OAuth client id of the Codex CLI, accepted by default. */
export const DEFAULT_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'

const AUTH_CODE_TTL_MS = 10 * 60 * 1000
const PROMPT_CACHE_LIMIT = 10_000
const CONTROL_PREFIX = '/__emulator/'
const NOT_FOUND = { detail: 'Not Found' }
const UNAUTHORIZED = { detail: 'Unauthorized' }

const REFRESH_ERRORS = {
  refresh_expired: {
    error: 'refresh_token_expired',
    error_description: 'Your refresh token has expired. Please try signing in again.',
  },
  refresh_reused: {
    error: 'refresh_token_reused',
    error_description:
      'Your refresh token has already been used to generate a new access token. Please try signing in again.',
  },
  refresh_invalidated: {
    error: 'refresh_token_invalidated',
    error_description: 'Your refresh token has been invalidated. Please try signing in again.',
  },
} as const

interface AuthCode {
  /** Issued by the device flow: the redirect is `{issuer}/deviceauth/callback`. */
  device: boolean
  challenge: string
  redirectUri: string
  identity: Identity
  expiresAt: number
}

interface DeviceAuth {
  deviceAuthId: string
  userCode: string
  identity: Identity
  polls: number
  approved: boolean
  expiresAt: number
  createdAt: number
}

interface Waiter {
  predicate: (request: RecordedRequest) => boolean
  resolve: (request: RecordedRequest) => void
  reject: (error: unknown) => void
  timer: NodeJS.Timeout
}

interface ResolvedUsage {
  primaryUsedPercent: number
  secondaryUsedPercent: number
  primaryResetAt: number
  secondaryResetAt: number
  hasCredits: boolean
  unlimitedCredits: boolean
  creditsBalance: string
  whamForbidden: boolean
}

function invalidOption(message: string): never {
  throw new UpstreamEmulatorError('emulator_invalid_option', message)
}

function checkNumber(
  name: string,
  value: unknown,
  opts: { integer?: boolean; min?: number; max?: number },
): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isFinite(value))
    invalidOption(`Option "${name}" must be a finite number.`)
  if (opts.integer && !Number.isInteger(value)) invalidOption(`Option "${name}" must be an integer.`)
  if (opts.min !== undefined && value < opts.min) invalidOption(`Option "${name}" must be >= ${opts.min}.`)
  if (opts.max !== undefined && value > opts.max) invalidOption(`Option "${name}" must be <= ${opts.max}.`)
}

function checkString(name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'string' || value.length === 0)
    invalidOption(`Option "${name}" must be a non-empty string.`)
}

function validateOptions(options: UpstreamEmulatorOptions): void {
  if (typeof options !== 'object' || options === null) invalidOption('Options must be an object.')
  for (const name of [
    'host',
    'clientId',
    'accountId',
    'email',
    'plan',
    'userId',
    'authorizeError',
  ] as const) {
    checkString(name, options[name])
  }
  checkNumber('port', options.port, { integer: true, min: 0, max: 65535 })
  checkNumber('accessTokenTtlSeconds', options.accessTokenTtlSeconds, { min: 1 })
  checkNumber('events', options.events, { integer: true, min: 1 })
  checkNumber('gapMs', options.gapMs, { min: 0 })
  checkNumber('ttftMs', options.ttftMs, { min: 0 })
  checkNumber('deviceCodeTtlSeconds', options.deviceCodeTtlSeconds, { min: 0 })
  checkNumber('maxRecordedRequests', options.maxRecordedRequests, { integer: true, min: 0 })
  if (options.deviceAutoApproveAfterPolls !== null) {
    checkNumber('deviceAutoApproveAfterPolls', options.deviceAutoApproveAfterPolls, { integer: true, min: 0 })
  }
  const interval = options.deviceInterval
  if (interval !== undefined) {
    const n = typeof interval === 'string' ? Number(interval) : interval
    if (
      typeof n !== 'number' ||
      !Number.isFinite(n) ||
      n < 0 ||
      (typeof interval === 'string' && interval.trim() === '')
    ) {
      invalidOption('Option "deviceInterval" must be a non-negative number or numeric string.')
    }
  }
  if (options.models !== undefined) {
    if (!Array.isArray(options.models) || options.models.length === 0) {
      invalidOption('Option "models" must be a non-empty array of catalog entries.')
    }
    for (const m of options.models) {
      if (typeof m !== 'object' || m === null || typeof m.slug !== 'string' || m.slug.length === 0) {
        invalidOption('Every entry of "models" needs a non-empty "slug".')
      }
      if (!Array.isArray(m.supported_reasoning_levels)) {
        invalidOption(`Model "${m.slug}" needs "supported_reasoning_levels" (an array).`)
      }
    }
  }
  if (options.usage !== undefined) validateUsage(options.usage)
}

function validateUsage(usage: EmulatorUsageSettings): void {
  if (typeof usage !== 'object' || usage === null) invalidOption('Option "usage" must be an object.')
  checkNumber('usage.primaryUsedPercent', usage.primaryUsedPercent, { min: 0, max: 100 })
  checkNumber('usage.secondaryUsedPercent', usage.secondaryUsedPercent, { min: 0, max: 100 })
  checkNumber('usage.primaryResetAfterSeconds', usage.primaryResetAfterSeconds, { min: 0 })
  checkNumber('usage.secondaryResetAfterSeconds', usage.secondaryResetAfterSeconds, { min: 0 })
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

function splitUrl(rawUrl: string): { path: string; query: Record<string, string>; search: URLSearchParams } {
  const q = rawUrl.indexOf('?')
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q)
  const search = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1))
  return { path, query: Object.fromEntries(search), search }
}

function routeOf(path: string): RecordedRequest['route'] {
  switch (path) {
    case '/backend-api/codex/responses':
      return 'responses'
    case '/backend-api/codex/models':
      return 'models'
    case '/backend-api/wham/usage':
    case '/backend-api/codex/usage':
    case '/backend-api/api/codex/usage':
      return 'usage'
    case '/oauth/token':
      return 'token'
    case '/oauth/authorize':
      return 'authorize'
    case '/oauth/revoke':
      return 'revoke'
    case '/api/accounts/deviceauth/usercode':
      return 'device_usercode'
    case '/api/accounts/deviceauth/token':
      return 'device_token'
    case '/codex/device':
      return 'device_page'
    default:
      return 'other'
  }
}

const ALLOWED_METHOD: Record<string, string> = {
  responses: 'POST',
  models: 'GET',
  usage: 'GET',
  token: 'POST',
  authorize: 'GET',
  revoke: 'POST',
  device_usercode: 'POST',
  device_token: 'POST',
}

const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

function userCode(): string {
  const bytes = randomBytes(8)
  let code = ''
  for (let i = 0; i < 8; i++) {
    if (i === 4) code += '-'
    code += USER_CODE_ALPHABET[(bytes[i] as number) % USER_CODE_ALPHABET.length]
  }
  return code
}

/** Expand the fixed sentence to exactly `n` words so benchmarks get `n` text deltas. */
function expandDefaultText(n: number): string {
  const base = DEFAULT_TEXT.split(' ')
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(base[i % base.length] as string)
  return out.join(' ')
}

function toBearer(header: string | undefined): string | null {
  if (!header) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match ? (match[1] as string) : null
}

/**
 * Start a real local OAuth issuer + Codex backend on `host:port` (default `127.0.0.1:0`).
 * Throws `UpstreamEmulatorError` (`emulator_invalid_option`, `emulator_listen_failed`).
 */
export async function createUpstreamEmulator(
  options: UpstreamEmulatorOptions = {},
): Promise<UpstreamEmulator> {
  validateOptions(options)
  const host = options.host ?? '127.0.0.1'
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID
  const defaults: Identity = {
    accountId: options.accountId ?? 'acct_emulator',
    email: options.email ?? 'dev@example.com',
    plan: options.plan ?? 'plus',
    userId: options.userId ?? 'user_emulator',
  }
  const ttl = options.accessTokenTtlSeconds ?? 3600
  const pacing = { events: options.events, gapMs: options.gapMs ?? 0, ttftMs: options.ttftMs ?? 0 }
  const catalog: EmulatorModel[] = options.models ? structuredClone(options.models) : defaultModels()
  const deviceInterval = options.deviceInterval ?? '5'
  const autoApproveAfter =
    options.deviceAutoApproveAfterPolls === undefined ? 1 : options.deviceAutoApproveAfterPolls
  const deviceTtlMs = (options.deviceCodeTtlSeconds ?? 900) * 1000

  let baseUrl = ''
  const tokens = new TokenRegistry(() => baseUrl, clientId)
  const authCodes = new Map<string, AuthCode>()
  const devices = new Map<string, DeviceAuth>()
  const queue: EmulatorBehaviour[] = []
  const requests: RecordedRequest[] = []
  const waiters = new Set<Waiter>()
  const streams = new Set<() => void>()
  const promptCache = new Map<string, number>()
  const counters = { inFlight: 0, completed: 0, aborted: 0 }
  let sequence = 0
  let closed = false
  const pauses = new Map<NodeJS.Timeout, () => void>()
  /** A sleep that `close()` cuts short. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        pauses.delete(timer)
        resolve()
      }, ms)
      pauses.set(timer, resolve)
    })
  const maxRecorded = options.maxRecordedRequests ?? 10_000
  const remember = (record: RecordedRequest): void => {
    if (maxRecorded === 0) return
    requests.push(record)
    if (requests.length > maxRecorded + Math.ceil(maxRecorded / 10)) {
      requests.splice(0, requests.length - maxRecorded)
    }
  }

  const now = (): number => Math.floor(Date.now() / 1000)
  const usage: ResolvedUsage = {
    primaryUsedPercent: 12,
    secondaryUsedPercent: 34,
    primaryResetAt: now() + 7200,
    secondaryResetAt: now() + 259_200,
    hasCredits: false,
    unlimitedCredits: false,
    creditsBalance: '0',
    whamForbidden: false,
  }
  const applyUsage = (settings: EmulatorUsageSettings): void => {
    if (settings.primaryUsedPercent !== undefined) usage.primaryUsedPercent = settings.primaryUsedPercent
    if (settings.secondaryUsedPercent !== undefined)
      usage.secondaryUsedPercent = settings.secondaryUsedPercent
    if (settings.primaryResetAfterSeconds !== undefined) {
      usage.primaryResetAt = now() + settings.primaryResetAfterSeconds
    }
    if (settings.secondaryResetAfterSeconds !== undefined) {
      usage.secondaryResetAt = now() + settings.secondaryResetAfterSeconds
    }
    if (settings.hasCredits !== undefined) usage.hasCredits = settings.hasCredits
    if (settings.unlimitedCredits !== undefined) usage.unlimitedCredits = settings.unlimitedCredits
    if (settings.creditsBalance !== undefined) usage.creditsBalance = settings.creditsBalance
    if (settings.whamForbidden !== undefined) usage.whamForbidden = settings.whamForbidden
  }
  if (options.usage) applyUsage(options.usage)

  /** Seconds until a window resets, rolling the window forward once it has passed. */
  const windowState = (which: 'primary' | 'secondary'): { resetAt: number; resetAfter: number } => {
    const length = which === 'primary' ? 18_000 : 604_800
    const key = which === 'primary' ? 'primaryResetAt' : 'secondaryResetAt'
    const t = now()
    while (usage[key] < t) usage[key] += length
    return { resetAt: usage[key], resetAfter: usage[key] - t }
  }

  const codexHeaders = (
    plan: string,
    primaryOverride?: { used: number; resetAfter: number },
  ): OutgoingHttpHeaders => {
    const primary = windowState('primary')
    const secondary = windowState('secondary')
    const pUsed = primaryOverride ? primaryOverride.used : usage.primaryUsedPercent
    const pAfter = primaryOverride ? primaryOverride.resetAfter : primary.resetAfter
    const pAt = primaryOverride ? now() + primaryOverride.resetAfter : primary.resetAt
    return {
      'x-codex-plan-type': plan,
      'x-codex-active-limit': 'codex',
      'x-codex-primary-used-percent': String(pUsed),
      'x-codex-primary-window-minutes': '300',
      'x-codex-primary-reset-after-seconds': String(pAfter),
      'x-codex-primary-reset-at': String(pAt),
      'x-codex-secondary-used-percent': String(usage.secondaryUsedPercent),
      'x-codex-secondary-window-minutes': '10080',
      'x-codex-secondary-reset-after-seconds': String(secondary.resetAfter),
      'x-codex-secondary-reset-at': String(secondary.resetAt),
      'x-codex-primary-over-secondary-limit-percent': '0',
      'x-codex-credits-has-credits': usage.hasCredits ? 'True' : 'False',
      'x-codex-credits-unlimited': usage.unlimitedCredits ? 'True' : 'False',
      'x-codex-credits-balance': usage.creditsBalance,
    }
  }

  const catalogEtag = (models: EmulatorModel[]): string =>
    `"${createHash('sha256').update(JSON.stringify(models)).digest('hex').slice(0, 32)}"`
  const fullEtag = catalogEtag(catalog)

  const backendHeaders = (requestId: string, plan: string): OutgoingHttpHeaders => ({
    'x-request-id': requestId,
    'x-oai-request-id': requestId,
    'x-models-etag': fullEtag,
    ...codexHeaders(plan),
  })

  // ---------------------------------------------------------------- recording & waiters

  const notify = (record: RecordedRequest): void => {
    if (waiters.size === 0) return
    for (const waiter of waiters) {
      let hit = false
      try {
        hit = waiter.predicate(record)
      } catch (error) {
        waiters.delete(waiter)
        clearTimeout(waiter.timer)
        waiter.reject(error)
        continue
      }
      if (hit) {
        waiters.delete(waiter)
        clearTimeout(waiter.timer)
        waiter.resolve(record)
      }
    }
  }

  const takeBehaviour = (route: EndpointRoute, phase: 'pre' | 'post'): EmulatorBehaviour | undefined => {
    if (queue.length === 0) return undefined
    const index = queue.findIndex((b) => matches(b, route))
    if (index === -1) return undefined
    const behaviour = queue[index] as EmulatorBehaviour
    if (isPreKind(behaviour.kind) !== (phase === 'pre')) return undefined
    queue.splice(index, 1)
    return behaviour
  }

  // ---------------------------------------------------------------- identity helpers

  const identityFor = (opts: IssueTokensOptions = {}): Identity => ({
    accountId: opts.accountId ?? defaults.accountId,
    email: opts.email ?? defaults.email,
    plan: opts.plan ?? defaults.plan,
    userId: opts.userId ?? defaults.userId,
  })

  const issueTokens = (opts: IssueTokensOptions = {}): IssuedTokens => {
    if (typeof opts !== 'object' || opts === null) invalidOption('issueTokens() options must be an object.')
    for (const name of ['accountId', 'email', 'plan', 'userId'] as const) checkString(name, opts[name])
    checkNumber('expiresInSeconds', opts.expiresInSeconds, {})
    const minted = tokens.mint(identityFor(opts), opts.expiresInSeconds ?? ttl)
    return {
      id_token: minted.id_token,
      access_token: minted.access_token,
      refresh_token: minted.refresh_token,
      account_id: minted.account_id,
    }
  }

  const storedAuth = (opts: IssueTokensOptions = {}): StoredAuth => {
    const issued = issueTokens(opts)
    return {
      bound_account_id: issued.account_id,
      tokens: { ...issued },
      last_refresh: new Date().toISOString(),
    }
  }

  // ---------------------------------------------------------------- generic behaviours

  /** Apply a pre-kind behaviour. Returns true when it answered the request. */
  const applyPre = async (
    behaviour: EmulatorBehaviour,
    res: ServerResponse,
    record: RecordedRequest,
    extraHeaders: OutgoingHttpHeaders,
    plan: string,
  ): Promise<boolean> => {
    record.behaviour = behaviour.kind
    switch (behaviour.kind) {
      case 'delay':
        await pause(behaviour.ms)
        return res.destroyed
      case 'destroy':
        record.status = undefined
        res.destroy()
        return true
      case 'http_error': {
        const headers = { ...extraHeaders, ...(behaviour.headers ?? {}) }
        const body = behaviour.body ?? defaultErrorBody(behaviour.status)
        if (typeof body === 'string')
          sendText(res, behaviour.status, body, 'text/plain; charset=utf-8', headers)
        else sendJson(res, behaviour.status, body, headers)
        return true
      }
      case 'expired_token':
        sendJson(res, 401, UNAUTHORIZED, extraHeaders)
        return true
      case 'usage_limit': {
        const seconds = behaviour.resetsInSeconds ?? 3600
        sendJson(res, 429, usageLimitBody(plan, seconds), {
          ...extraHeaders,
          ...codexHeaders(plan, { used: 100, resetAfter: seconds }),
        })
        return true
      }
      case 'refresh_expired':
      case 'refresh_invalidated':
      case 'refresh_reused':
        sendJson(res, 401, REFRESH_ERRORS[behaviour.kind], extraHeaders)
        return true
      case 'authorize_error':
        // handled by the authorize route itself
        return false
      default:
        return false
    }
  }

  const usageLimitBody = (plan: string, seconds: number): unknown => ({
    error: {
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      plan_type: plan,
      resets_at: now() + seconds,
      eligible_promo: null,
      resets_in_seconds: seconds,
    },
  })

  // ---------------------------------------------------------------- backend

  /** Authenticate a backend request; answers and returns null on failure. */
  const authenticate = (
    req: IncomingMessage,
    res: ServerResponse,
    headers: OutgoingHttpHeaders,
  ): Identity | null => {
    const token = toBearer(req.headers.authorization)
    const record = token === null ? undefined : tokens.access.get(token)
    if (!record || record.revoked || record.exp <= now()) {
      sendJson(res, 401, UNAUTHORIZED, headers)
      return null
    }
    const account = req.headers['chatgpt-account-id']
    const accountId = Array.isArray(account) ? account[0] : account
    if (!accountId) {
      sendJson(res, 400, { detail: 'Missing ChatGPT-Account-ID header' }, headers)
      return null
    }
    if (accountId !== record.identity.accountId) {
      sendJson(
        res,
        403,
        { detail: 'The ChatGPT-Account-ID header does not match the access token.' },
        { ...headers, 'x-openai-authorization-error': 'account_mismatch' },
      )
      return null
    }
    return record.identity
  }

  const handleResponses = async (
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    body: ReadBody,
  ): Promise<void> => {
    const requestId = record.requestId
    const pre = takeBehaviour('responses', 'pre')
    const baseHeaders = backendHeaders(requestId, defaults.plan)
    if (pre && (await applyPre(pre, res, record, baseHeaders, defaults.plan))) return
    if (res.destroyed) return
    const identity = authenticate(req, res, baseHeaders)
    if (!identity) return
    const headers = identity.plan === defaults.plan ? baseHeaders : backendHeaders(requestId, identity.plan)
    if (body.jsonError || body.json === undefined) {
      const r = openaiError(
        400,
        'We could not parse the JSON body of your request. The API expects a JSON payload.',
        null,
        null,
      )
      sendJson(res, r.status, r.body, headers)
      return
    }
    const validated = validateResponsesBody(body.json, catalog)
    if (isRejection(validated)) {
      sendJson(res, validated.status, validated.body, headers)
      return
    }
    // one behaviour per request: a request that got a `delay` takes no stream kind as well
    const behaviour = pre ? undefined : takeBehaviour('responses', 'post')
    if (behaviour) record.behaviour = behaviour.kind
    const { body: request, input } = validated

    let plan: ReplyPlan =
      behaviour?.kind === 'reply'
        ? scriptedPlan(behaviour.output, request, input)
        : defaultPlan(request, input)
    const events =
      behaviour?.kind === 'pace' && behaviour.events !== undefined ? behaviour.events : pacing.events
    if (events !== undefined && plan.messages.some((m) => m.text === DEFAULT_TEXT)) {
      const expanded = expandDefaultText(events)
      plan = {
        ...plan,
        messages: plan.messages.map((m) => (m.text === DEFAULT_TEXT ? { ...m, text: expanded } : m)),
      }
    }
    let ending: StreamEnding = { kind: 'completed', emptyOutput: false }
    switch (behaviour?.kind) {
      case 'empty_completed_output':
        ending = { kind: 'completed', emptyOutput: true }
        break
      case 'incomplete':
        ending = { kind: 'incomplete', reason: behaviour.reason ?? 'max_output_tokens' }
        break
      case 'failed_event':
        ending = {
          kind: 'failed',
          code: behaviour.code ?? 'server_error',
          message: behaviour.message ?? 'An error occurred while processing your request.',
        }
        break
      case 'overload_in_stream':
        ending = { kind: 'overload' }
        break
      case 'usage_limit_in_stream': {
        const seconds = behaviour.resetsInSeconds ?? 3600
        const h = codexHeaders(identity.plan, { used: 100, resetAfter: seconds })
        ending = {
          kind: 'usage_limit',
          planType: identity.plan,
          resetsInSeconds: seconds,
          headers: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)])),
        }
        break
      }
      default:
        break
    }

    const inputTokens = estimateInputTokens(request)
    const cacheKey =
      typeof request.prompt_cache_key === 'string'
        ? request.prompt_cache_key
        : (req.headers.session_id ?? req.headers['session-id'])
    let cachedTokens = 0
    if (typeof cacheKey === 'string' && cacheKey.length > 0) {
      const previous = promptCache.get(cacheKey)
      if (previous !== undefined) cachedTokens = Math.min(previous, inputTokens)
      promptCache.delete(cacheKey)
      promptCache.set(cacheKey, inputTokens)
      if (promptCache.size > PROMPT_CACHE_LIMIT) {
        const oldest = promptCache.keys().next().value
        if (oldest !== undefined) promptCache.delete(oldest)
      }
    }
    const include = Array.isArray(request.include) ? request.include : []
    const seed = randomBytes(12).toString('hex')
    const frames = toFrames(
      buildEvents({
        responseId: `resp_${seed}`,
        idSeed: seed,
        createdAt: now(),
        body: request,
        model: request.model as string,
        plan,
        encrypted: include.includes('reasoning.encrypted_content'),
        textDeltas: events,
        inputTokens,
        cachedTokens,
        ending,
      }),
    )

    const write: WriteOptions = {
      gapMs: behaviour?.kind === 'pace' && behaviour.gapMs !== undefined ? behaviour.gapMs : pacing.gapMs,
      ttftMs: behaviour?.kind === 'pace' && behaviour.ttftMs !== undefined ? behaviour.ttftMs : pacing.ttftMs,
    }
    if (behaviour?.kind === 'cut_mid_stream') write.cutAfter = behaviour.afterEvents
    if (behaviour?.kind === 'end_early') write.endAfter = behaviour.afterEvents
    if (behaviour?.kind === 'stall') {
      write.stallAfter = behaviour.afterEvents
      write.stallMs = behaviour.ms
    }
    const streamHeaders: OutgoingHttpHeaders = { ...headers, 'cache-control': 'no-cache' }
    if (behaviour?.kind !== 'no_content_type')
      streamHeaders['content-type'] = 'text/event-stream; charset=utf-8'
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
    stop = writeFrames(res, frames, write, () => {
      record.outcome = 'destroyed'
    })
    if (res.writableEnded || res.destroyed) cleanup()
    else streams.add(stop)
  }

  const handleModels = async (
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    search: URLSearchParams,
  ): Promise<void> => {
    const headers = backendHeaders(record.requestId, defaults.plan)
    const pre = takeBehaviour('models', 'pre')
    if (pre && (await applyPre(pre, res, record, headers, defaults.plan))) return
    if (res.destroyed) return
    if (!authenticate(req, res, headers)) return
    const version = parseVersion(search.get('client_version'))
    const models = catalog
      .filter((m) => {
        if (!version) return true
        const min = parseVersion(m.minimal_client_version)
        return !min || compareVersions(version, min) >= 0
      })
      .sort((a, b) => a.priority - b.priority)
    const etag = models.length === catalog.length ? fullEtag : catalogEtag(models)
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ...headers, etag })
      res.end()
      return
    }
    sendJson(res, 200, { models }, { ...headers, etag })
  }

  const handleUsage = async (
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    path: string,
  ): Promise<void> => {
    let headers = backendHeaders(record.requestId, defaults.plan)
    const pre = takeBehaviour('usage', 'pre')
    if (pre && (await applyPre(pre, res, record, headers, defaults.plan))) return
    if (res.destroyed) return
    const identity = authenticate(req, res, headers)
    if (!identity) return
    if (identity.plan !== defaults.plan) headers = backendHeaders(record.requestId, identity.plan)
    if (usage.whamForbidden && path === '/backend-api/wham/usage') {
      sendJson(res, 403, { detail: 'Forbidden' }, headers)
      return
    }
    const primary = windowState('primary')
    const secondary = windowState('secondary')
    const limitReached = usage.primaryUsedPercent >= 100 || usage.secondaryUsedPercent >= 100
    sendJson(
      res,
      200,
      {
        user_id: identity.userId,
        account_id: identity.accountId,
        email: identity.email,
        plan_type: identity.plan,
        rate_limit: {
          allowed: !limitReached,
          limit_reached: limitReached,
          primary_window: {
            used_percent: Math.round(usage.primaryUsedPercent),
            limit_window_seconds: 18_000,
            reset_after_seconds: primary.resetAfter,
            reset_at: primary.resetAt,
          },
          secondary_window: {
            used_percent: Math.round(usage.secondaryUsedPercent),
            limit_window_seconds: 604_800,
            reset_after_seconds: secondary.resetAfter,
            reset_at: secondary.resetAt,
          },
        },
        credits: {
          has_credits: usage.hasCredits,
          unlimited: usage.unlimitedCredits,
          balance: usage.creditsBalance,
          approx_local_messages: [0, 0],
          approx_cloud_messages: [0, 0],
        },
        code_review_rate_limit: null,
        additional_rate_limits: null,
      },
      headers,
    )
  }

  // ---------------------------------------------------------------- issuer

  const validRedirect = (value: string): boolean => {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      return false
    }
    return (
      url.protocol === 'http:' &&
      (url.hostname === 'localhost' || url.hostname === '127.0.0.1') &&
      url.port !== '' &&
      url.pathname === '/auth/callback' &&
      url.search === '' &&
      url.hash === '' &&
      url.username === '' &&
      url.password === ''
    )
  }

  const handleAuthorize = async (
    res: ServerResponse,
    record: RecordedRequest,
    search: URLSearchParams,
  ): Promise<void> => {
    const pre = takeBehaviour('authorize', 'pre')
    let scriptedError: { error: string; description: string } | null = null
    if (pre) {
      if (pre.kind === 'authorize_error') {
        record.behaviour = pre.kind
        scriptedError = {
          error: pre.error ?? 'access_denied',
          description: pre.description ?? 'The user denied the authorization request.',
        }
      } else if (await applyPre(pre, res, record, {}, defaults.plan)) return
    }
    if (res.destroyed) return
    const redirectUri = search.get('redirect_uri') ?? ''
    if (!validRedirect(redirectUri)) {
      sendText(
        res,
        400,
        htmlPage(
          'Invalid redirect_uri',
          `<p>The redirect_uri ${escapeHtml(JSON.stringify(redirectUri))} is not registered for this client. Expected http://localhost:&lt;port&gt;/auth/callback or http://127.0.0.1:&lt;port&gt;/auth/callback.</p>`,
        ),
        'text/html; charset=utf-8',
      )
      return
    }
    const state = search.get('state') ?? ''
    const back = (params: Record<string, string>): void => {
      const target = new URL(redirectUri)
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v)
      if (state) target.searchParams.set('state', state)
      res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store', 'content-length': 0 })
      res.end()
    }
    const invalid = (description: string): void =>
      back({ error: 'invalid_request', error_description: description })
    if (search.get('client_id') !== clientId) return invalid('Unknown or missing client_id.')
    if (search.get('response_type') !== 'code') return invalid('response_type must be "code".')
    if (search.get('code_challenge_method') !== 'S256')
      return invalid('code_challenge_method must be "S256".')
    const challenge = search.get('code_challenge') ?? ''
    if (!/^[A-Za-z0-9_-]{43,128}$/.test(challenge)) return invalid('code_challenge is missing or malformed.')
    if (!state) return invalid('state is required.')
    const error =
      scriptedError ??
      (options.authorizeError
        ? { error: options.authorizeError, description: 'The authorization request was not approved.' }
        : null)
    if (error) return back({ error: error.error, error_description: error.description })
    const code = `ac_${randomId(24)}`
    authCodes.set(code, {
      device: false,
      challenge,
      redirectUri,
      identity: { ...defaults },
      expiresAt: Date.now() + AUTH_CODE_TTL_MS,
    })
    back({ code, scope: search.get('scope') ?? 'openid profile email offline_access' })
  }

  const tokenError = (res: ServerResponse, status: number, error: string, description: string): void => {
    sendJson(res, status, { error, error_description: description }, { 'cache-control': 'no-store' })
  }

  const tokenResponse = (res: ServerResponse, identity: Identity, session?: number): void => {
    const minted = tokens.mint(identity, ttl, session)
    sendJson(
      res,
      200,
      {
        id_token: minted.id_token,
        access_token: minted.access_token,
        refresh_token: minted.refresh_token,
        expires_in: minted.expires_in,
        token_type: 'Bearer',
        scope: 'openid profile email offline_access',
      },
      { 'cache-control': 'no-store' },
    )
  }

  const deviceRedirects = (): string[] => {
    const port = new URL(baseUrl).port
    return [
      `${baseUrl}/deviceauth/callback`,
      `http://localhost:${port}/deviceauth/callback`,
      `http://127.0.0.1:${port}/deviceauth/callback`,
    ]
  }

  const handleToken = async (res: ServerResponse, record: RecordedRequest, body: ReadBody): Promise<void> => {
    const pre = takeBehaviour('token', 'pre')
    if (pre && (await applyPre(pre, res, record, { 'cache-control': 'no-store' }, defaults.plan))) return
    if (res.destroyed) return
    const fields: Record<string, unknown> =
      body.form ??
      (typeof body.json === 'object' && body.json !== null && !Array.isArray(body.json)
        ? (body.json as Record<string, unknown>)
        : {})
    const field = (name: string): string => (typeof fields[name] === 'string' ? (fields[name] as string) : '')
    const grant = field('grant_type')
    if (!grant) return tokenError(res, 400, 'invalid_request', 'grant_type is required.')
    if (field('client_id') !== clientId) {
      return tokenError(res, 401, 'invalid_client', 'Unknown or missing client_id.')
    }
    if (grant === 'authorization_code') {
      if (!body.form) {
        return tokenError(res, 400, 'invalid_request', 'The authorization_code grant must be form-encoded.')
      }
      const code = authCodes.get(field('code'))
      if (!code || code.expiresAt < Date.now()) {
        return tokenError(
          res,
          400,
          'invalid_grant',
          'The authorization code is invalid, expired or already used.',
        )
      }
      const redirectOk = code.device
        ? deviceRedirects().includes(field('redirect_uri'))
        : field('redirect_uri') === code.redirectUri
      if (!redirectOk) {
        return tokenError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request.')
      }
      const verifier = field('code_verifier')
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || s256(verifier) !== code.challenge) {
        return tokenError(res, 400, 'invalid_grant', 'code_verifier does not match the code_challenge.')
      }
      authCodes.delete(field('code'))
      return tokenResponse(res, code.identity)
    }
    if (grant === 'refresh_token') {
      const presented = field('refresh_token')
      if (!presented) return tokenError(res, 400, 'invalid_request', 'refresh_token is required.')
      const stored = tokens.refresh.get(presented)
      if (!stored) return tokenError(res, 401, 'invalid_grant', 'The refresh token is not recognised.')
      if (stored.state === 'used') {
        return sendJson(res, 401, REFRESH_ERRORS.refresh_reused, { 'cache-control': 'no-store' })
      }
      if (stored.state === 'revoked') {
        return sendJson(res, 401, REFRESH_ERRORS.refresh_invalidated, { 'cache-control': 'no-store' })
      }
      stored.state = 'used'
      return tokenResponse(res, stored.identity, stored.session)
    }
    if (grant === 'urn:ietf:params:oauth:grant-type:token-exchange') {
      const identity = tokens.idTokens.get(field('subject_token'))
      if (!identity || field('requested_token') !== 'openai-api-key') {
        return tokenError(res, 400, 'invalid_grant', 'The subject_token is not a valid id_token.')
      }
      return sendJson(
        res,
        200,
        {
          access_token: `sk-emulator-${randomId(24)}`,
          token_type: 'Bearer',
          issued_token_type: 'openai-api-key',
        },
        { 'cache-control': 'no-store' },
      )
    }
    return tokenError(res, 400, 'unsupported_grant_type', `Unsupported grant_type "${grant}".`)
  }

  const handleRevoke = async (
    res: ServerResponse,
    record: RecordedRequest,
    body: ReadBody,
  ): Promise<void> => {
    const pre = takeBehaviour('revoke', 'pre')
    if (pre && (await applyPre(pre, res, record, {}, defaults.plan))) return
    if (res.destroyed) return
    const fields: Record<string, unknown> =
      body.form ??
      (typeof body.json === 'object' && body.json !== null ? (body.json as Record<string, unknown>) : {})
    const token = typeof fields.token === 'string' ? fields.token : ''
    if (!token) return tokenError(res, 400, 'invalid_request', 'token is required.')
    const refresh = tokens.refresh.get(token)
    if (refresh) tokens.revokeSession(refresh.session)
    const access = tokens.access.get(token)
    if (access) access.revoked = true
    sendJson(res, 200, {})
  }

  const handleDeviceUsercode = async (
    res: ServerResponse,
    record: RecordedRequest,
    body: ReadBody,
  ): Promise<void> => {
    const pre = takeBehaviour('device_usercode', 'pre')
    if (pre && (await applyPre(pre, res, record, {}, defaults.plan))) return
    if (res.destroyed) return
    const json = body.json as Record<string, unknown> | undefined
    if (!json || typeof json !== 'object' || json.client_id !== clientId) {
      return sendJson(res, 400, {
        error: { code: 'invalid_client', message: 'Unknown or missing client_id.' },
      })
    }
    const id = `deviceauth_${randomId(18)}`
    const created = Date.now()
    const auth: DeviceAuth = {
      deviceAuthId: id,
      userCode: userCode(),
      identity: { ...defaults },
      polls: 0,
      approved: false,
      expiresAt: created + deviceTtlMs,
      createdAt: created,
    }
    devices.set(id, auth)
    sendJson(res, 200, {
      device_auth_id: id,
      user_code: auth.userCode,
      interval: deviceInterval,
      expires_at: new Date(auth.expiresAt).toISOString(),
    })
  }

  const handleDeviceToken = async (
    res: ServerResponse,
    record: RecordedRequest,
    body: ReadBody,
  ): Promise<void> => {
    const pre = takeBehaviour('device_token', 'pre')
    if (pre && (await applyPre(pre, res, record, {}, defaults.plan))) return
    if (res.destroyed) return
    const json = (typeof body.json === 'object' && body.json !== null ? body.json : {}) as Record<
      string,
      unknown
    >
    const auth = typeof json.device_auth_id === 'string' ? devices.get(json.device_auth_id) : undefined
    if (!auth || json.user_code !== auth.userCode) {
      return sendJson(res, 400, {
        error: { code: 'invalid_request', message: 'Unknown device_auth_id or user_code.' },
      })
    }
    if (auth.expiresAt <= Date.now()) {
      devices.delete(auth.deviceAuthId)
      return sendJson(res, 410, {
        error: { code: 'deviceauth_expired', message: 'The device code has expired. Request a new code.' },
      })
    }
    if (!auth.approved && autoApproveAfter !== null && auth.polls >= autoApproveAfter) auth.approved = true
    auth.polls++
    if (!auth.approved) {
      return sendJson(res, 403, {
        error: {
          code: 'deviceauth_authorization_pending',
          message: 'The user has not approved this code yet.',
        },
      })
    }
    devices.delete(auth.deviceAuthId)
    const verifier = randomBytes(64).toString('base64url')
    const challenge = s256(verifier)
    const code = `ac_${randomId(24)}`
    authCodes.set(code, {
      device: true,
      challenge,
      redirectUri: `${baseUrl}/deviceauth/callback`,
      identity: auth.identity,
      expiresAt: Date.now() + AUTH_CODE_TTL_MS,
    })
    sendJson(res, 200, { authorization_code: code, code_challenge: challenge, code_verifier: verifier })
  }

  const approveDevice = (code?: string): boolean => {
    let target: DeviceAuth | undefined
    for (const auth of devices.values()) {
      if (auth.approved || auth.expiresAt <= Date.now()) continue
      if (code === undefined) {
        if (!target || auth.createdAt >= target.createdAt) target = auth
      } else if (auth.userCode === code.trim().toUpperCase()) {
        target = auth
      }
    }
    if (!target) return false
    target.approved = true
    return true
  }

  const handleDevicePage = (req: IncomingMessage, res: ServerResponse, body: ReadBody | null): void => {
    if (req.method === 'POST') {
      const code = body?.form?.user_code ?? ''
      const ok = approveDevice(code)
      sendText(
        res,
        ok ? 200 : 400,
        htmlPage(
          ok ? 'Device approved' : 'Unknown code',
          ok
            ? '<p>You can return to your terminal.</p>'
            : `<p>No pending device code ${escapeHtml(code)}.</p>`,
        ),
        'text/html; charset=utf-8',
      )
      return
    }
    sendText(
      res,
      200,
      htmlPage(
        'Enter your one-time code',
        '<form method="post" action="/codex/device"><label>Code <input name="user_code" autocomplete="off"></label> <button type="submit">Continue</button></form>',
      ),
      'text/html; charset=utf-8',
    )
  }

  // ---------------------------------------------------------------- control API

  const handleControl = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const body = req.method === 'POST' ? await readBody(req) : null
    if (req.method === 'POST' && body === null) return
    const json = body?.json
    const bad = (message: string): void =>
      sendJson(res, 400, {
        error: { message, type: 'invalid_request_error', param: null, code: 'emulator_bad_request' },
      })
    try {
      if (path === '/__emulator/script' && req.method === 'POST') {
        if (body?.jsonError) return bad('Body must be JSON: an array of behaviours (or one behaviour).')
        const list = Array.isArray(json) ? json : json === undefined ? [] : [json]
        api.script(...(list as EmulatorBehaviour[]))
        return sendJson(res, 200, { queued: list.length, pending: queue.length })
      }
      if (path === '/__emulator/requests' && req.method === 'GET') return sendJson(res, 200, requests)
      if (path === '/__emulator/stats' && req.method === 'GET') return sendJson(res, 200, api.stats())
      if (path === '/__emulator/reset' && req.method === 'POST') {
        api.reset()
        return sendJson(res, 200, { ok: true })
      }
      if (path === '/__emulator/tokens' && req.method === 'POST') {
        return sendJson(res, 200, api.issueTokens((json ?? {}) as IssueTokensOptions))
      }
      if (path === '/__emulator/stored-auth' && req.method === 'POST') {
        return sendJson(res, 200, api.storedAuth((json ?? {}) as IssueTokensOptions))
      }
      if (path === '/__emulator/approve-device' && req.method === 'POST') {
        const code = (json as { user_code?: unknown } | undefined)?.user_code
        const approved = api.approveDevice(typeof code === 'string' ? code : undefined)
        return sendJson(res, approved ? 200 : 404, { approved })
      }
      if (path === '/__emulator/usage' && req.method === 'POST') {
        api.setUsage((json ?? {}) as EmulatorUsageSettings)
        return sendJson(res, 200, { ok: true })
      }
      sendJson(res, 404, NOT_FOUND)
    } catch (error) {
      if (error instanceof UpstreamEmulatorError) return bad(error.message)
      throw error
    }
  }

  // ---------------------------------------------------------------- dispatch

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { path, query, search } = splitUrl(req.url ?? '/')
    if (path.startsWith(CONTROL_PREFIX)) return handleControl(req, res, path)
    const method = req.method ?? 'GET'
    const route = routeOf(path)
    const requestId = randomUUID()
    res.setHeader('x-request-id', requestId)
    const record: RecordedRequest = {
      id: ++sequence,
      requestId,
      method,
      path,
      query,
      headers: headerRecord(req),
      body: null,
      receivedAt: Date.now(),
      route,
    }
    counters.inFlight++
    let settled = false
    res.once('finish', () => {
      if (settled) return
      settled = true
      counters.inFlight--
      counters.completed++
      record.outcome = 'completed'
      record.status = res.statusCode
      record.completedAt = Date.now()
      notify(record)
    })
    res.once('close', () => {
      if (settled) return
      settled = true
      counters.inFlight--
      if (res.headersSent) record.status = res.statusCode
      if (record.outcome === 'destroyed' || record.behaviour === 'destroy') {
        record.outcome = 'destroyed'
        record.completedAt = Date.now()
      } else {
        record.outcome = 'aborted'
        counters.aborted++
        record.abortedAt = Date.now()
      }
      notify(record)
    })
    const needsBody = method !== 'GET' && method !== 'HEAD'
    const body = needsBody ? await readBody(req) : null
    if (body) record.body = body.json !== undefined ? body.json : body.raw.length > 0 ? body.raw : null
    remember(record)
    if (needsBody && body === null) {
      // the client went away while sending the body; 'close' accounts for it
      notify(record)
      return
    }
    notify(record)
    const extra: OutgoingHttpHeaders = path.startsWith('/backend-api/')
      ? backendHeaders(requestId, defaults.plan)
      : {}
    if (body?.tooLarge) return sendJson(res, 413, { detail: 'Request body too large' }, extra)

    if (route === 'device_page') {
      if (method !== 'GET' && method !== 'POST') return sendJson(res, 405, { detail: 'Method Not Allowed' })
      return handleDevicePage(req, res, body)
    }
    if (route === 'other') return sendJson(res, 404, NOT_FOUND, extra)
    if (ALLOWED_METHOD[route] !== method) return sendJson(res, 405, { detail: 'Method Not Allowed' }, extra)
    const empty: ReadBody = { raw: '', json: undefined, form: undefined, jsonError: false, tooLarge: false }
    switch (route) {
      case 'responses':
        return handleResponses(req, res, record, body ?? empty)
      case 'models':
        return handleModels(req, res, record, search)
      case 'usage':
        return handleUsage(req, res, record, path)
      case 'authorize':
        return handleAuthorize(res, record, search)
      case 'token':
        return handleToken(res, record, body ?? empty)
      case 'revoke':
        return handleRevoke(res, record, body ?? empty)
      case 'device_usercode':
        return handleDeviceUsercode(res, record, body ?? empty)
      case 'device_token':
        return handleDeviceToken(res, record, body ?? empty)
      default:
        return sendJson(res, 404, NOT_FOUND)
    }
  }

  const server = createServer(
    { keepAlive: true, noDelay: true, requestTimeout: 0, headersTimeout: 60_000 },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          sendJson(res, 500, {
            error: {
              message: `Emulator internal error: ${error instanceof Error ? error.message : String(error)}`,
              type: 'server_error',
              param: null,
              code: null,
            },
          })
        } else {
          res.destroy()
        }
      })
    },
  )
  server.keepAliveTimeout = 65_000
  server.maxHeadersCount = 0
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new UpstreamEmulatorError(
          'emulator_listen_failed',
          `The upstream emulator could not listen on ${host}:${options.port ?? 0}: ${error.message}`,
          { cause: error },
        ),
      )
    }
    server.once('error', onError)
    server.listen({ port: options.port ?? 0, host, backlog: 4096 }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  baseUrl = `http://${formatHost(host)}:${port}`

  let closing: Promise<void> | undefined

  const api: UpstreamEmulator = {
    url: baseUrl,
    backendUrl: `${baseUrl}/backend-api/codex`,
    clientId,
    requests,
    issueTokens,
    storedAuth,
    script(...behaviours: EmulatorBehaviour[]): void {
      const checked = behaviours.map((b, i) => validateBehaviour(b, i))
      queue.push(...checked.map((b) => structuredClone(b)))
    },
    waitFor(predicate, timeoutMs = 5000): Promise<RecordedRequest> {
      if (typeof predicate !== 'function') invalidOption('waitFor() needs a predicate function.')
      try {
        for (const record of requests) if (predicate(record)) return Promise.resolve(record)
      } catch (error) {
        return Promise.reject(error)
      }
      if (closed) {
        return Promise.reject(
          new UpstreamEmulatorError('emulator_closed', 'The upstream emulator is closed.'),
        )
      }
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter)
            reject(
              new UpstreamEmulatorError(
                'emulator_wait_timeout',
                `No recorded request matched within ${timeoutMs} ms (${requests.length} recorded).`,
              ),
            )
          }, timeoutMs),
        }
        waiters.add(waiter)
      })
    },
    stats(): EmulatorStats {
      return { ...counters }
    },
    approveDevice,
    setUsage(settings: EmulatorUsageSettings): void {
      validateUsage(settings)
      applyUsage(settings)
    },
    revokeAllTokens(): void {
      tokens.revokeAll()
    },
    reset(): void {
      queue.length = 0
      requests.length = 0
      authCodes.clear()
      devices.clear()
      promptCache.clear()
      counters.completed = 0
      counters.aborted = 0
    },
    close(): Promise<void> {
      if (closing) return closing
      closed = true
      for (const waiter of waiters) {
        clearTimeout(waiter.timer)
        waiter.reject(new UpstreamEmulatorError('emulator_closed', 'The upstream emulator was closed.'))
      }
      waiters.clear()
      for (const stop of streams) stop()
      streams.clear()
      for (const [timer, resolve] of pauses) {
        clearTimeout(timer)
        resolve()
      }
      pauses.clear()
      closing = new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
        server.closeAllConnections()
      })
      return closing
    },
  }
  return api
}

function defaultErrorBody(status: number): unknown {
  if (status === 503) {
    return {
      error: {
        message: 'Our servers are currently overloaded. Please try again later.',
        type: 'service_unavailable_error',
        param: null,
        code: 'server_is_overloaded',
      },
    }
  }
  if (status === 429) {
    return {
      error: {
        message: 'Rate limit reached. Please try again in 1s.',
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_exceeded',
      },
    }
  }
  if (status >= 500) {
    return {
      error: {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      },
    }
  }
  return { detail: STATUS_CODES[status] ?? `HTTP ${status}` }
}
