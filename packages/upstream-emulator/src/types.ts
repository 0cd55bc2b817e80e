import type { StoredAuth } from '@airelays/auth-store'

// The credentials shape is owned by @airelays/auth-store; re-exported for this package's users.
export type { StoredAuth }

/** Identity and lifetime of tokens minted with `issueTokens()` / `storedAuth()`. */
export interface IssueTokensOptions {
  /** ChatGPT account (workspace) id. @default the emulator's `accountId` ("acct_emulator") */
  accountId?: string
  /** E-mail claim. @default the emulator's `email` ("dev@example.com") */
  email?: string
  /** `chatgpt_plan_type` claim. @default the emulator's `plan` ("plus") */
  plan?: string
  /** ChatGPT user id claim. @default the emulator's `userId` ("user_emulator") */
  userId?: string
  /** Access-token lifetime in seconds; 0 or negative mints an already expired token. @default `accessTokenTtlSeconds` (3600) */
  expiresInSeconds?: number
}

/** Tokens registered as valid with the emulator. */
export interface IssuedTokens {
  id_token: string
  access_token: string
  refresh_token: string
  account_id: string
}

/** A `supported_reasoning_levels` entry of the model catalog. */
export interface EmulatorReasoningLevel {
  effort: string
  description: string
}

/** One model catalog entry as served by `GET /backend-api/codex/models` (§9.2 of the protocol notes). */
export interface EmulatorModel {
  slug: string
  display_name: string
  description: string
  /** `list` shows the model in pickers; anything else (e.g. `hide`) hides it. */
  visibility: string
  /** Sort key, ascending. */
  priority: number
  default_reasoning_level: string
  supported_reasoning_levels: EmulatorReasoningLevel[]
  /** Oldest client version (`X.Y.Z`) that sees this model. */
  minimal_client_version: string
  supported_in_api: boolean
  context_window: number
  service_tiers: Array<{ id: string }>
  supports_reasoning_summaries: boolean
  support_verbosity: boolean
  default_verbosity: string | null
  supports_parallel_tool_calls: boolean
  shell_type: string
  truncation_policy: { mode: string; limit: number }
  [extra: string]: unknown
}

/** Usage / rate-limit figures reported by the usage endpoints and the `x-codex-*` headers. */
export interface EmulatorUsageSettings {
  /** Primary (5 h) window used percent, 0–100. @default 12 */
  primaryUsedPercent?: number
  /** Secondary (weekly) window used percent, 0–100. @default 34 */
  secondaryUsedPercent?: number
  /** Seconds until the primary window resets. @default 7200 */
  primaryResetAfterSeconds?: number
  /** Seconds until the secondary window resets. @default 259200 */
  secondaryResetAfterSeconds?: number
  /** Credits: has credits. @default false */
  hasCredits?: boolean
  /** Credits: unlimited. @default false */
  unlimitedCredits?: boolean
  /** Credits balance as a decimal string. @default "0" */
  creditsBalance?: string
  /** When true, `GET /backend-api/wham/usage` answers 403 so clients exercise the `/codex/usage` fallback. @default false */
  whamForbidden?: boolean
  /**
   * Report only the weekly window (Plus, Business and Pro since 2026-07-12): `/wham/usage` has the
   * weekly window as `primary_window` and `secondary_window: null`, and the `x-codex-primary-*`
   * headers describe the weekly window. @default false
   */
  weeklyOnly?: boolean
  /** `additional_rate_limits` entries; empty = `null` in the payload. @default [] */
  additionalRateLimits?: EmulatorAdditionalRateLimit[]
  /** `spend_control`; undefined = `null` in the payload. @default undefined */
  spendControl?: EmulatorSpendControl
  /** `rate_limit_reached_type`, e.g. "rate_limit_reached", "workspace_member_credits_depleted". @default null */
  rateLimitReachedType?: string | null
  /** `rate_limit_reset_credits.available_count` (banked resets). @default 0 */
  resetCreditsAvailable?: number
  /** Used percent of the `code_review_rate_limit` weekly window; null = no such limit. @default null */
  codeReviewUsedPercent?: number | null
}

/** One `additional_rate_limits[]` entry of `/wham/usage` (a metered feature with its own windows). */
export interface EmulatorAdditionalRateLimit {
  /** e.g. "codex_other". */
  limit_name: string
  /** e.g. "codex_bengalfox". */
  metered_feature: string
  /** Used percent of its primary window, 0–100. @default 0 */
  usedPercent?: number
  /** Its window length in seconds. @default 18000 */
  windowSeconds?: number
}

/** The `spend_control` object of `/wham/usage` (workspace spend caps). */
export interface EmulatorSpendControl {
  reached: boolean
  /** e.g. "individual", "group", "workspace"; null when not reached. */
  reached_limit_type: string | null
  individual_limit?: unknown
  group_limit?: unknown
  workspace_limit?: unknown
}

/**
 * Non-standard frames the Codex backend of late 2026 adds to a `/responses` stream. Each flag
 * adds one frame; all default to false.
 */
export interface EmulatorExtraEvents {
  /** `response.metadata` (safety-buffering details) as the very first frame, before `response.created`. */
  metadata?: boolean
  /** `codex.rate_limits` (plan, windows, credits) right after `response.in_progress`. */
  rateLimits?: boolean
  /** `codex.response.metadata` right after `response.created`. */
  responseMetadata?: boolean
  /** `responsesapi.websocket_timing` just before the terminal event. */
  websocketTiming?: boolean
}

/**
 * A ChatGPT account the emulator knows by id (option `accounts`, `addAccount()`), with its own
 * identity, usage figures and model list, so several accounts can be tested on one emulator.
 */
export interface EmulatorAccountOptions {
  /** ChatGPT account (workspace) id; tokens minted with this `accountId` get this identity. */
  accountId: string
  /** E-mail claim. @default `<accountId>@example.com` */
  email?: string
  /** `chatgpt_plan_type` claim. @default the emulator's `plan` */
  plan?: string
  /** ChatGPT user id claim. @default the emulator's `userId` + "_" + accountId */
  userId?: string
  /**
   * Own usage figures (merged into the defaults of `EmulatorUsageSettings`). A window at 100 %
   * makes the account's `/responses` calls answer 429 `usage_limit_reached` until it resets.
   * @default the emulator-wide figures, shared with every account without its own
   */
  usage?: EmulatorUsageSettings
  /** Model slugs this account's catalog lists; others are rejected like unknown models. @default the whole catalog */
  models?: string[]
}

/** Which endpoint a scripted behaviour applies to. */
export type BehaviourRoute =
  | 'responses'
  | 'models'
  | 'usage'
  | 'token'
  | 'device_token'
  | 'device_usercode'
  | 'revoke'
  | 'authorize'
  | 'any'

interface RoutedBehaviour {
  /** Endpoint the behaviour waits for. @default 'responses' ('token' for refresh_*, 'authorize' for authorize_error) */
  route?: BehaviourRoute
  /**
   * Only a request of this account takes the behaviour: on the backend the account of its
   * `ChatGPT-Account-ID` header, on the token endpoint the account of the presented refresh token.
   * Requests of other accounts pass it by. @default any account
   */
  accountId?: string
}

/** A tool call the emulator should make in a scripted reply. */
export interface ScriptedToolCall {
  name: string
  /** Arguments as a JSON string, or an object that is serialised. */
  arguments: string | Record<string, unknown>
}

/** The output of a scripted `reply` behaviour. */
export interface ScriptedOutput {
  /** Assistant text. @default the deterministic default reply (empty when only tool calls are given) */
  text?: string
  /** Reasoning summary text; emits a reasoning item first. */
  reasoning?: string
  /** Function calls emitted after the message. */
  toolCalls?: ScriptedToolCall[]
  /** Emit a `commentary` message before the `final_answer` message (newer models' `phase` field). @default false */
  phases?: boolean
}

/** A one-shot scripted behaviour, consumed by the next request whose route matches. */
export type EmulatorBehaviour =
  | (RoutedBehaviour & { kind: 'usage_limit'; resetsInSeconds?: number })
  | (RoutedBehaviour & {
      kind: 'http_error'
      status: number
      body?: unknown
      headers?: Record<string, string>
    })
  | (RoutedBehaviour & { kind: 'overload_in_stream' })
  | (RoutedBehaviour & { kind: 'usage_limit_in_stream'; resetsInSeconds?: number })
  | (RoutedBehaviour & { kind: 'failed_event'; code?: string; message?: string })
  | (RoutedBehaviour & { kind: 'cut_mid_stream'; afterEvents: number })
  | (RoutedBehaviour & { kind: 'end_early'; afterEvents: number })
  | (RoutedBehaviour & { kind: 'stall'; afterEvents: number; ms: number })
  | (RoutedBehaviour & { kind: 'expired_token' })
  | (RoutedBehaviour & { kind: 'no_content_type' })
  | (RoutedBehaviour & { kind: 'empty_completed_output' })
  | (RoutedBehaviour & { kind: 'incomplete'; reason?: string })
  | (RoutedBehaviour & { kind: 'delay'; ms: number })
  | (RoutedBehaviour & { kind: 'reply'; output: ScriptedOutput })
  | (RoutedBehaviour & { kind: 'refresh_expired' | 'refresh_invalidated' | 'refresh_reused' })
  | (RoutedBehaviour & { kind: 'destroy' })
  | (RoutedBehaviour & { kind: 'pace'; events?: number; gapMs?: number; ttftMs?: number })
  | (RoutedBehaviour & { kind: 'authorize_error'; error?: string; description?: string })
  /** Add the non-standard frames (every one when `events` is omitted) to the next stream. */
  | (RoutedBehaviour & { kind: 'extra_events'; events?: EmulatorExtraEvents })
  /**
   * Hold the next stream silent for `ms` (silent reasoning, safety buffering): after
   * `afterEvents` frames, by default right before the first output item (after
   * `response.created` / `response.in_progress`).
   */
  | (RoutedBehaviour & { kind: 'silence'; ms: number; afterEvents?: number })

/** The kind names of `EmulatorBehaviour`. */
export type EmulatorBehaviourKind = EmulatorBehaviour['kind']

/** One request received by the emulator (control-API calls under `/__emulator` are not recorded). */
export interface RecordedRequest {
  /** 1-based arrival number. */
  id: number
  /** The `x-request-id` the emulator answered with. */
  requestId: string
  method: string
  /** Path without the query string. */
  path: string
  /** Query parameters (last value wins for repeated keys). */
  query: Record<string, string>
  /** Request headers with lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>
  /** Parsed JSON body, else the raw text (form bodies stay text), `null` when empty. */
  body: unknown
  /** Epoch milliseconds when the request arrived. */
  receivedAt: number
  /** Epoch milliseconds when the response was fully written. */
  completedAt?: number
  /** Epoch milliseconds when the client went away before the response was complete. */
  abortedAt?: number
  /** How the exchange ended: fully written, abandoned by the client, or destroyed on purpose by a behaviour. */
  outcome?: 'completed' | 'aborted' | 'destroyed'
  /** Status code sent (absent when the socket was destroyed before any byte). */
  status?: number
  /** Route name the request matched (`'other'` for unknown paths). */
  route: BehaviourRoute | 'device_page' | 'other'
  /** Kind of the scripted behaviour applied to this request, if any. */
  behaviour?: EmulatorBehaviourKind
  /**
   * `'websocket'` for a `response.create` frame of the Responses WebSocket (`method` is then the
   * upgrade's `GET` and `body` the frame as sent); absent for HTTP requests.
   */
  transport?: 'websocket'
}

/**
 * Counters of backend + issuer requests (control API excluded). Responses cut on purpose by
 * `cut_mid_stream` / `destroy` count as neither completed nor aborted (their record says
 * `outcome: 'destroyed'`).
 */
export interface EmulatorStats {
  /** Requests whose response has not finished yet. */
  inFlight: number
  /** Responses fully written (including error responses). */
  completed: number
  /** Responses the client abandoned before they were complete. */
  aborted: number
}

/** Options of `createUpstreamEmulator`. All optional. */
export interface UpstreamEmulatorOptions {
  /** Interface to bind; keep it a loopback address. @default '127.0.0.1' */
  host?: string
  /** TCP port; 0 picks a free ephemeral port. @default 0 */
  port?: number
  /** OAuth client id the issuer accepts. @default 'app_EMoamEEZ73f0CkXaXp7hrann' */
  clientId?: string
  /** Default account id of minted tokens and of the browser/device logins. @default 'acct_emulator' */
  accountId?: string
  /** Default e-mail. @default 'dev@example.com' */
  email?: string
  /** Default plan type. @default 'plus' */
  plan?: string
  /** Default ChatGPT user id. @default 'user_emulator' */
  userId?: string
  /** Lifetime of minted access tokens, seconds. @default 3600 */
  accessTokenTtlSeconds?: number
  /** Number of `response.output_text.delta` events per answer; unset = one delta per word. @default undefined */
  events?: number
  /** Milliseconds between two SSE events. @default 0 */
  gapMs?: number
  /** Milliseconds between the response headers and the first SSE event. @default 0 */
  ttftMs?: number
  /**
   * Replace the model catalog. @default eight visible models (gpt-5.5, gpt-5.4-mini; gpt-5.6-sol,
   * -terra, -luna from client 0.144.0; gpt-6-astra from 0.153.0; gpt-6-sol, -luna from 0.155.0)
   * and one hidden (codex-auto-review)
   */
  models?: EmulatorModel[]
  /** Non-standard frames added to every stream (the `extra_events` behaviour adds them to one). @default none */
  extraEvents?: EmulatorExtraEvents
  /** Usage figures for `/wham/usage`, `/codex/usage` and the `x-codex-*` headers. @default see EmulatorUsageSettings */
  usage?: EmulatorUsageSettings
  /** `interval` returned by the device-code endpoint (a string like the real issuer, or a number). @default "5" */
  deviceInterval?: string | number
  /** Polls answered 403 (pending) before a device code is approved automatically; `null` = only `approveDevice()`. @default 1 */
  deviceAutoApproveAfterPolls?: number | null
  /** Device code lifetime, seconds. @default 900 */
  deviceCodeTtlSeconds?: number
  /** When set, every authorize request redirects back with this `error` (e.g. 'access_denied'). @default undefined */
  authorizeError?: string
  /** Most recent requests kept in `requests` (older ones are dropped in batches); 0 records nothing. @default 10000 */
  maxRecordedRequests?: number
  /** Accounts with their own identity, usage figures and models (see `addAccount()`). @default [] */
  accounts?: EmulatorAccountOptions[]
}

/** The running emulator. */
export interface UpstreamEmulator {
  /** Issuer base URL, e.g. "http://127.0.0.1:40123" (use as AIRELAYS_ISSUER_BASE_URL). */
  readonly url: string
  /** Codex backend base URL: `${url}/backend-api/codex` (use as AIRELAYS_UPSTREAM_BASE_URL). */
  readonly backendUrl: string
  /** The OAuth client id the issuer accepts. */
  readonly clientId: string
  /** Requests in arrival order (a live array; `reset()` empties it). */
  readonly requests: RecordedRequest[]
  /** Mint and register tokens without an OAuth dance. */
  issueTokens(options?: IssueTokensOptions): IssuedTokens
  /** Mint tokens and wrap them as the relay's stored auth (bound to the account, last_refresh = now). */
  storedAuth(options?: IssueTokensOptions): StoredAuth
  /** Queue one-shot behaviours; each is consumed by the next request its route matches. Throws `emulator_invalid_behaviour`. */
  script(...behaviours: EmulatorBehaviour[]): void
  /** Resolve with the first recorded request (past or future) matching `predicate`; reject with `emulator_wait_timeout`. */
  waitFor(predicate: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>
  /** Live counters. */
  stats(): EmulatorStats
  /** Approve a pending device code (the most recent one when `userCode` is omitted). Returns false when none matched. */
  approveDevice(userCode?: string): boolean
  /**
   * Change the usage figures (merged into the current ones): the emulator-wide ones, or those of
   * the registered account `accountId` (which then stops sharing the emulator-wide figures).
   */
  setUsage(usage: EmulatorUsageSettings, accountId?: string): void
  /** Register (or replace) an account with its own identity, usage and models. */
  addAccount(account: EmulatorAccountOptions): void
  /** Make the next browser and device logins sign in as this registered account (null: the defaults). */
  setLoginAccount(accountId: string | null): void
  /** Revoke every token minted so far (they answer 401 from now on). */
  revokeAllTokens(): void
  /** Drop scripted behaviours, recorded requests, counters, pending codes and prompt-cache memory. Tokens stay valid. */
  reset(): void
  /** Stop listening, end open streams and connections. Idempotent. */
  close(): Promise<void>
}
