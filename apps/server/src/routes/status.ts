import { tokenFingerprint } from '@airelays/auth-store'
import { securitySettings, settingsSummary } from '@airelays/config'
import { getQuery } from 'h3'
import { accountNotFound, notImplemented } from '../errors/factories'
import type { RelayRuntime } from '../runtime'
import { accountEntries, accountsSubscription } from './accounts'
import type { RelayHandler } from './handler'

/** The routes listed in `/v1/relay/status` as `supported_routes`. */
export const SUPPORTED_ROUTES: readonly string[] = [
  '/v1/models',
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/responses',
  '/v1/responses/{response_id}',
  '/v1/files',
  '/v1/files/{file_id}',
  '/v1/files/{file_id}/content',
  '/v1/conversations',
  '/v1/conversations/{conversation_id}',
  '/v1/relay/status',
  '/v1/relay/accounts/refresh',
  '/v1/relay/accounts',
  '/v1/relay/accounts/login',
  '/v1/relay/accounts/order',
  '/v1/relay/logging',
  '/v1/relay/token/rotate',
  '/v1/subscription/status',
  '/v1/account/rate_limits',
  '/no-tools/v1/chat/completions',
  '/no-tools/v1/responses',
]

/** `GET /healthz`: `{"ok":true,"app_name":"AIRelays","version":"<v>"}` (never logged, never limited). */
export function healthz(rt: RelayRuntime): RelayHandler {
  return (req) => req.json({ ok: true, app_name: 'AIRelays', version: rt.version })
}

/** `GET /v1/relay/status`: readiness, settings summary, limiter snapshot, storage. */
export function relayStatus(rt: RelayRuntime): RelayHandler {
  return async (req) => {
    const { config } = rt.settings
    const security = config.security
    const [login, token, usage, conversationCount] = await Promise.all([
      rt.upstream.status(),
      rt.tokens.current(),
      rt.files.usage(),
      rt.conversations.count(),
    ])
    const openaiEnabled = config.providers.openai.enabled
    const accounts = accountEntries(rt)
    const upstreamReady = openaiEnabled && login.ready_for_requests
    const relayTokenReady = !security.require_bearer_auth || token.token !== null
    const body = {
      object: 'relay.status',
      app_name: 'AIRelays',
      version: rt.version,
      requests_total: rt.requestsTotal,
      ready: {
        upstream_auth: upstreamReady,
        openai_upstream_auth: upstreamReady,
        relay_token: relayTokenReady,
        any_provider: upstreamReady,
        providers: openaiEnabled ? { openai: upstreamReady } : {},
      },
      auth: login,
      providers: {
        openai: {
          enabled: openaiEnabled,
          ready_for_requests: upstreamReady,
          models_cache: { configured: true, ...rt.upstream.modelsCacheStatus() },
          // With two or more accounts: each one's state (never a token) and the balance mode.
          ...(accounts.length >= 2 ? { accounts, balance: config.providers.openai.balance } : {}),
        },
        claude: {
          enabled: false,
          ready_for_requests: false,
          notes: 'AIRelays does not run the Claude runtime.',
        },
      },
      relay: settingsSummary(config, {
        bearerToken: {
          present: token.token !== null,
          source: token.source,
          fingerprint: token.token === null ? null : tokenFingerprint(token.token),
        },
      }),
      security: {
        ...securitySettings(config),
        ...rt.limiter.snapshot(req.clientIp),
      },
      storage: {
        file_count: usage.file_count,
        total_bytes: usage.total_bytes,
        conversation_count: conversationCount,
      },
      supported_routes: SUPPORTED_ROUTES,
    }
    return req.json(body)
  }
}

function truthy(value: unknown): boolean {
  return typeof value === 'string' && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase())
}

/** `GET /v1/subscription/status` (alias `/v1/account/rate_limits`): normalised usage, `?raw=true` adds `raw`. */
export function subscriptionStatus(rt: RelayRuntime): RelayHandler {
  return async (req) => {
    const query = getQuery(req.event) as Record<string, string | undefined>
    const provider = (query.provider ?? 'openai').trim().toLowerCase() || 'openai'
    if (provider === 'claude') {
      throw notImplemented('provider_disabled', 'The Claude runtime is disabled for this AIRelays process.')
    }
    if (provider !== 'openai') {
      throw notImplemented(
        'unsupported_provider',
        'Subscription status is currently verified only for the OpenAI subscription runtime.',
      )
    }
    if (!rt.settings.config.providers.openai.enabled) {
      throw notImplemented(
        'provider_disabled',
        'The OpenAI subscription runtime is disabled for this AIRelays process.',
      )
    }
    const perAccount = await accountsSubscription(rt, query, truthy(query.raw), req.signal)
    if (perAccount !== null) return req.json(perAccount)
    if (typeof query.account === 'string' && query.account !== '') {
      throw accountNotFound(query.account)
    }
    const { raw, ...normalised } = await rt.upstream.usage({ signal: req.signal })
    return req.json(truthy(query.raw) ? { ...normalised, raw } : normalised)
  }
}
