import type { ResolvedConfig } from '@airelays/config'
import type { FileStore } from '@airelays/file-inliner'
import type { ForwardedForOptions, RateLimiter } from '@airelays/ratelimit'
import type { UpstreamClient } from '@airelays/upstream-client'
import type { H3Event } from 'h3'
import type { SecretSet } from './logging/redact'
import type { TrafficLog } from './logging/traffic-log'
import type { RelayLogger } from './options'
import type { Lifecycle } from './request/lifecycle'
import type { BindJudgement } from './security/bind-address'
import type { RelayAccounts } from './stores/accounts'
import type { ConversationStore } from './stores/conversations'
import type { ResponseStore } from './stores/responses'
import type { TokenReader } from './stores/token-reader'

/** Resolved settings of one relay app. */
export interface RelaySettings {
  readonly config: ResolvedConfig
  readonly maxJsonBodyBytes: number
  readonly keepAliveMs: number
  /** How long a stream waits for the first upstream output before committing its headers. */
  readonly streamHoldMs: number
  /**
   * The relay owns the Node server it runs in (`serveRelay`): streams are written straight to
   * the `ServerResponse`. False for `app.fetch` and apps mounted in a host, which get `Response`s.
   */
  readonly nodeResponses: boolean
  /** The config.toml that settings changes are saved to (`RelayOptions.configFile`), or null. */
  readonly configFile: string | null
  /** The host's own client-address lookup (`RelayOptions.clientAddress`), tried first. */
  readonly clientAddress: ((event: H3Event) => string | null | undefined) | undefined
}

/** Everything one relay app shares between requests. Built once by `app.ts`. */
export interface RelayRuntime {
  readonly settings: RelaySettings
  readonly version: string
  readonly now: () => number
  readonly logger: RelayLogger
  readonly log: TrafficLog
  readonly secrets: SecretSet
  readonly tokens: TokenReader
  readonly limiter: RateLimiter
  readonly upstream: UpstreamClient
  /** The signed-in accounts behind `upstream`; null when the client or the credentials were injected. */
  readonly accounts: RelayAccounts | null
  readonly files: FileStore
  readonly conversations: ConversationStore
  /** The relay's recent `/v1/responses` answers (`previous_response_id`, `GET /v1/responses/{id}`). */
  readonly responses: ResponseStore
  /** How the client address is read from X-Forwarded-For; null when the header is not trusted. */
  readonly forwardedFor: ForwardedForOptions | null
  /** The bind host, judged once at start: whether the DNS-rebinding Host check is on. */
  readonly bind: Promise<BindJudgement>
  readonly lifecycle: Lifecycle
  /** Ids of logged requests waiting for the models catalog (upstream records are attributed to the first). */
  readonly modelsWaiters: string[]
  /** Requests counted in `requests_total` (every logged request). */
  requestsTotal: number
}
