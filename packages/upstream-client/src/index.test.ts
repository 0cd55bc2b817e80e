import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as api from './index'

describe('package exports', () => {
  it('exposes exactly the documented runtime API', () => {
    expect(Object.keys(api).sort()).toEqual([
      'UpstreamError',
      'classifyPoolFailure',
      'classifyUpstreamError',
      'compareClientVersions',
      'createAccountPool',
      'createMemoryCredentialStore',
      'createPooledClient',
      'createUpstreamClient',
      'createUpstreamReader',
      'decodeJwtClaims',
      'isUpstreamError',
      'parseClientVersion',
      'resolveClientVersion',
      'startBrowserLogin',
      'startDeviceLogin',
      'upstreamDefaults',
      'usageSignalFromHeaders',
      'usageSignalFromSnapshot',
      'windowLabel',
    ])
  })

  it('documents the reference defaults', () => {
    expect(api.upstreamDefaults).toEqual({
      issuerUrl: 'https://auth.openai.com',
      baseUrl: 'https://chatgpt.com/backend-api/codex',
      clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
      clientVersion: '0.171.0',
      originator: 'codex_cli_rs',
      requestTimeoutMs: 120_000,
      streamIdleTimeoutMs: 600_000,
      loginTimeoutSeconds: 900,
      retryAttempts: 3,
      backoffSeconds: [5, 20, 60],
      modelsCacheTtlSeconds: 300,
      browserLoginPort: 1455,
      browserLoginFallbackPort: 1457,
    })
    expect(Object.isFrozen(api.upstreamDefaults)).toBe(true)
  })

  it('rejects a client without a credential store', () => {
    expect(() => api.createUpstreamClient({} as never)).toThrow(TypeError)
    expect(() =>
      api.createUpstreamClient({ credentials: api.createMemoryCredentialStore(), retry: { attempts: -1 } }),
    ).toThrow(RangeError)
  })

  it('exports exactly the documented types, none of them from _internal', () => {
    const barrel = readFileSync(new URL('./index.ts', import.meta.url), 'utf8')
    expect(barrel).not.toMatch(/from '\.\/_internal/)
    const statements = [...barrel.matchAll(/export type \{([^}]*)\} from '[^']+'/g)]
    const names = statements.flatMap((match) =>
      (match[1] ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    expect(names.sort()).toEqual([
      'AccountPool',
      'AccountPoolHooks',
      'AccountPoolOptions',
      'AttemptInfo',
      'BalanceMode',
      'BenchKind',
      'BrowserLogin',
      'BrowserLoginOptions',
      'CallOptions',
      'ClientVersionInput',
      'ClientVersionSource',
      'Clock',
      'CredentialStore',
      'DeviceLogin',
      'DeviceLoginOptions',
      'DevicePendingInfo',
      'DeviceWaitOptions',
      'FailureKind',
      'JwtClaims',
      'LoginStatus',
      'ModelsCacheStatus',
      'PoolAccountStatus',
      'PoolFailure',
      'PoolMember',
      'PoolRequest',
      'PoolResult',
      'PoolRetryOptions',
      'PoolRunOptions',
      'PooledAccount',
      'PooledAccountStatus',
      'PooledClient',
      'PooledClientHooks',
      'PooledClientOptions',
      'ProxySettings',
      'RefreshEvent',
      'RefreshReason',
      'ResolvedClientVersion',
      'ResponsesCallOptions',
      'ResponsesEvent',
      'ResponsesStream',
      'RetryOptions',
      'RevokeResult',
      'Sleep',
      'StoredAuth',
      'StreamEndInfo',
      'StreamEndStatus',
      'UpstreamClient',
      'UpstreamClientOptions',
      'UpstreamDefaults',
      'UpstreamErrorCode',
      'UpstreamErrorInit',
      'UpstreamErrorKind',
      'UpstreamHooks',
      'UpstreamModel',
      'UpstreamReader',
      'UsageProbe',
      'UsageRateLimit',
      'UsageSignal',
      'UsageSnapshot',
      'UsageSnapshotLike',
      'UsageWindow',
      'UsageWindowLike',
    ])
  })
})
