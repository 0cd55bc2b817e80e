// Public API of @airelays/upstream-client.

// Client
export { createUpstreamClient } from './client'
export type {
  CallOptions,
  LoginStatus,
  ModelsCacheStatus,
  ResponsesCallOptions,
  RetryOptions,
  UpstreamClient,
  UpstreamClientOptions,
  UpstreamHooks,
  UpstreamModel,
} from './client'
export type { ResponsesStream, StreamEndInfo, StreamEndStatus } from './_internal/stream'
export type { RefreshEvent, RefreshReason } from './_internal/tokens'
export type { RevokeResult } from './_internal/oauth'
export type { ProxySettings } from './_internal/http'

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

// Errors
export { UpstreamError, classifyUpstreamError, isUpstreamError } from './errors'
export type { UpstreamErrorCode, UpstreamErrorInit, UpstreamErrorKind } from './errors'

// Defaults
export { upstreamDefaults } from './defaults'
export type { UpstreamDefaults } from './defaults'
