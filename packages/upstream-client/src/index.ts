// Public API of @airelays/upstream-client.

// Client
export { createUpstreamClient } from './client'
export { createUpstreamReader } from './reader'
export type { UpstreamReader } from './reader'
export type {
  CallOptions,
  LoginStatus,
  ModelsCacheStatus,
  ResponsesCallOptions,
  ResponsesStream,
  RevokeResult,
  UpstreamClient,
  UpstreamModel,
} from './client-api'
export type { RetryOptions, UpstreamClientOptions } from './client-options'
export type { RefreshEvent, RefreshReason, StreamEndInfo, StreamEndStatus, UpstreamHooks } from './hooks'
export type { ProxySettings } from './proxy'

// Client version
export { compareClientVersions, parseClientVersion, resolveClientVersion } from './client-version'
export type { ClientVersionInput, ClientVersionSource, ResolvedClientVersion } from './client-version'

// Logins
export { startBrowserLogin } from './browser-login'
export type { BrowserLogin, BrowserLoginOptions } from './browser-login'
export { startDeviceLogin } from './device-login'
export type { DeviceLogin, DeviceLoginOptions, DevicePendingInfo, DeviceWaitOptions } from './device-login'

// Credentials and tokens
export { createMemoryCredentialStore } from './memory-store'
export { decodeJwtClaims } from './jwt'
export type { JwtClaims } from './jwt'
export type { Clock, CredentialStore, ResponsesEvent, Sleep, StoredAuth } from './types'

// Usage
export { windowLabel } from './usage'
export type { UsageRateLimit, UsageSnapshot, UsageWindow } from './usage'

// Account pool (several accounts: selection, benches, affinity, failover)
export { classifyPoolFailure, createAccountPool } from './pool/pool'
export type {
  AccountPool,
  AccountPoolHooks,
  AccountPoolOptions,
  AttemptInfo,
  BalanceMode,
  BenchKind,
  FailureKind,
  PoolAccountStatus,
  PoolFailure,
  PoolMember,
  PoolRequest,
  PoolResult,
  PoolRetryOptions,
  PoolRunOptions,
  UsageProbe,
} from './pool/types'
export { createPooledClient } from './pool/pooled-client'
export type {
  PooledAccount,
  PooledAccountStatus,
  PooledClient,
  PooledClientHooks,
  PooledClientOptions,
} from './pool/pooled-client'
export { usageSignalFromHeaders, usageSignalFromSnapshot } from './pool/usage-signal'
export type { UsageSignal, UsageSnapshotLike, UsageWindowLike } from './pool/usage-signal'

// Errors
export { UpstreamError, classifyUpstreamError, isUpstreamError } from './errors'
export type { UpstreamErrorCode, UpstreamErrorInit, UpstreamErrorKind } from './errors'

// Defaults
export { upstreamDefaults } from './defaults'
export type { UpstreamDefaults } from './defaults'
