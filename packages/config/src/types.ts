/** How upstream credentials are stored: the OS keychain, a 0600 file, or the keychain with a file fallback. */
export type AuthStorageMode = 'auto' | 'file' | 'keyring'

/** How requests are spread over several signed-in OpenAI accounts. */
export type BalanceMode = 'balanced' | 'round_robin' | 'ordered'

/**
 * Where a resolved value came from. `legacy-env` is a pre-rename variable (`AIRELAY_*`,
 * `OPENAI_ENDPOINT_*`, `AIRELAYS_ENABLE_CLAUDE_EXPERIMENTAL`).
 */
export type ConfigValueSource =
  | { kind: 'default' }
  | { kind: 'file'; path: string; line: number | null }
  | { kind: 'env'; name: string }
  | { kind: 'legacy-env'; name: string }
  | { kind: 'flag'; name: string }

/** Where a configuration problem was found. `line` is 1-based; null when it cannot be located. */
export type ConfigIssueSource =
  | { kind: 'file'; path: string; line: number | null }
  | { kind: 'env'; name: string }
  | { kind: 'flag'; name: string }

/** Stable codes of configuration warnings and errors. */
export type ConfigIssueCode =
  /** The config file is not valid TOML; none of its settings apply. */
  | 'config_parse_error'
  /** The config file exists but cannot be read (permissions, a directory, …). */
  | 'config_read_failed'
  /** A value has the wrong type, range or spelling; the key's default applies instead. */
  | 'config_invalid_value'
  /** A section or key that AIRelays does not know; it is ignored. */
  | 'config_unknown_key'
  /** A known key that is not read from the file (the relay token); it is ignored. */
  | 'config_ignored_key'
  /** A value outside its range that is clamped, as the reference does (negative retry_attempts → 0). */
  | 'config_value_clamped'
  /** An empty list where the reference falls back to the default (extra_models). */
  | 'config_empty_list'

/** One configuration warning or error. Loading never throws for these. */
export interface ConfigIssue {
  code: ConfigIssueCode
  /** A sentence for humans naming the key, where it came from and what is accepted. */
  message: string
  /** Dotted key (`server.port`, `providers.openai.balance`), a section name, or null for file-level problems. */
  key: string | null
  source: ConfigIssueSource
}

/**
 * Parsed CLI flags that override settings. Every field is optional; `undefined` means "not given".
 * Values are validated like environment values (`port` may be a number or a numeric string).
 */
export interface ConfigFlags {
  /** `--config PATH`: the config file to read (and that `init` writes). */
  config?: string
  /** `--data-dir PATH`: `[paths] data_dir`; retargets logs_dir and the token files still at their data-dir defaults. */
  dataDir?: string
  /** `--logs-dir PATH`: `[paths] logs_dir`. */
  logsDir?: string
  /** `--auth-storage auto|file|keyring`: `[auth] storage`. */
  authStorage?: string
  /** `--bearer-token-file PATH`: `[security] bearer_token_file`. */
  bearerTokenFile?: string
  /** `--host H` (serve): `[server] host`. */
  host?: string
  /** `--port P` (serve): `[server] port`. */
  port?: string | number
  /** `--no-auth` (init, serve): when true, `require_bearer_auth = false` and `auto_generate_bearer_token = false`. */
  noAuth?: boolean
  /** `--allow-weak-token` (serve): when true, `allow_weak_bearer_token = true`. */
  allowWeakToken?: boolean
}

/**
 * What a user may write in config.toml. Every key is optional; unknown keys are reported as warnings.
 * See `configKeys` (or the README) for every key's default and environment variables.
 */
export interface WrittenConfig {
  server?: {
    /** Listen address. @default "127.0.0.1" */
    host?: string
    /** Listen port, 1–65535. @default 8080 */
    port?: number
    /** Open client connections at once. @default 512 */
    max_connections?: number
    /** Seconds between SSE keep-alive comments while a stream is silent. @default 15.0 */
    stream_keepalive_seconds?: number
    /** Serve the Responses WebSocket transport on `/v1/responses`. @default true */
    websockets?: boolean
  }
  paths?: {
    /** State directory. @default "~/.airelays" (the legacy "~/.airelay" when only that exists) */
    data_dir?: string
    /** Traffic log directory. @default "<data_dir>/logs" */
    logs_dir?: string
    /** Legacy key of early releases. Silently ignored and never written back. */
    codex_home?: string
  }
  auth?: {
    /** Upstream credential storage, case-insensitive. @default "auto" */
    storage?: string
    /** Open the browser automatically during `airelays login`. @default false */
    browser_open?: boolean
    /** How long a login waits for approval, in seconds. @default 900 */
    login_timeout_seconds?: number
  }
  upstream?: {
    /** Codex backend base URL (trailing slashes are stripped). @default "https://chatgpt.com/backend-api/codex" */
    base_url?: string
    /** OAuth issuer base URL (trailing slashes are stripped). @default "https://auth.openai.com" */
    issuer_base_url?: string
    /** OAuth client id. @default "app_EMoamEEZ73f0CkXaXp7hrann" */
    client_id?: string
    /** Codex client version sent upstream (/models and /responses). @default "0.171.0" */
    client_version?: string
    /** Upstream request timeout in seconds. @default 120.0 */
    request_timeout_seconds?: number
    /** Seconds an upstream stream may stay silent before the relay gives up. @default 600.0 */
    stream_idle_timeout_seconds?: number
  }
  security?: {
    /** Require the relay bearer token on /v1. @default true */
    require_bearer_auth?: boolean
    /** File holding the relay token. @default "<data_dir>/relay-token" */
    bearer_token_file?: string
    /** Generate a relay token at `serve` when none exists. @default false */
    auto_generate_bearer_token?: boolean
    /** Requests per minute per client IP. @default 120 */
    rate_limit_per_minute?: number
    /** Token-bucket burst per client IP. @default 40 */
    rate_limit_burst?: number
    /** Requests in flight per client IP. @default 50 */
    concurrent_requests_per_ip?: number
    /** Window in which failed bearer attempts are counted, in seconds. @default 300 */
    failed_auth_window_seconds?: number
    /** Failed bearer attempts in the window before the IP is blocked. @default 8 */
    failed_auth_max_attempts?: number
    /** How long a blocked IP stays blocked, in seconds. @default 900 */
    failed_auth_block_seconds?: number
    /** Let `serve` start with a relay token of under 128 bits. @default false */
    allow_weak_bearer_token?: boolean
    /** Take the client IP from X-Forwarded-For, read from the right past trusted proxies. @default false */
    trust_x_forwarded_for?: boolean
    /** Proxy addresses or CIDR ranges skipped when reading X-Forwarded-For from the right. @default [] */
    trusted_proxies?: string[] | string
    /** Number of proxies in front of the relay, when trusted_proxies is empty. @default 1 */
    trusted_proxy_count?: number
  }
  uploads?: {
    /** Largest single upload, in bytes. @default 33554432 (32 MiB) */
    max_upload_bytes?: number
    /** Total size of all stored uploads, in bytes. @default 268435456 (256 MiB) */
    max_total_upload_bytes?: number
    /** Most file bytes one request may inline through file references. @default 67108864 (64 MiB) */
    max_expanded_bytes_per_request?: number
    /** Largest size of the stored conversations, in bytes. @default 67108864 (64 MiB) */
    max_conversation_bytes?: number
  }
  logging?: {
    /** Log every upstream stream line. @default false */
    stream_lines?: boolean
    /** Delete traffic logs older than this many days; 0 keeps them forever (logs already older when retention first applies are kept). @default 30 */
    retention_days?: number
    /** Most bytes of one traffic log record (a request, or its answer). @default 1048576 (1 MiB) */
    max_request_log_bytes?: number
    /** Most bytes all traffic logs may take; 0 means no limit. @default 1073741824 (1 GiB) */
    max_total_bytes?: number
  }
  providers?: {
    openai?: {
      /** Serve OpenAI models through the ChatGPT login. @default true */
      enabled?: boolean
      /** How long the upstream model list is cached, in seconds; 0 disables the cache. @default 300.0 */
      models_cache_ttl_seconds?: number
      /** Account balancing: balanced, round_robin or ordered ("Round-Robin" is normalised). @default "balanced" */
      balance?: string
      /** How long an account that hit its limit is skipped, in seconds. @default 300 */
      account_cooldown_seconds?: number
      /** Retries of an upstream request that failed before its first byte; negative values become 0. @default 3 */
      retry_attempts?: number
      /** Delays between retries in seconds, as an array or a comma-separated string. @default [5, 20, 60] */
      retry_backoff_seconds?: number[] | string
      /** Model ids accepted and listed in /v1/models although the upstream catalog does not list them. @default [] */
      extra_models?: string[] | string
    }
    anthropic?: {
      /** Serve the Anthropic Messages API (/v1/messages, count_tokens). @default true */
      enabled?: boolean
      /** Claude model name -> subscription model and effort, as `name=model[:effort]`. @default ["opus=gpt-5.5:high", "sonnet=gpt-5.5:medium", "haiku=gpt-5.4-mini:low", "fable=gpt-5.5:medium", "claude-*=gpt-5.5:medium"] */
      models?: string[] | string
    }
    claude?: {
      /** Claude runtime switch (kept for compatibility; AIRelays does not run Claude). @default true */
      enabled?: boolean
      /** Stored Claude Code OAuth token file. @default "<data_dir>/claude-token" */
      oauth_token_file?: string
      /** The claude executable. @default "claude" */
      bin?: string
      /** Claude CLI timeout in seconds. @default 600.0 */
      timeout_seconds?: number
      /** Claude CLI processes at once. @default 2 */
      max_concurrent_requests?: number
      /** Remove ANTHROPIC_* API-key variables from the Claude CLI environment. @default true */
      strip_api_key_env?: boolean
      /** Claude model ids. @default ["claude:sonnet", "claude:opus", "claude:haiku", "claude:fable"] */
      models?: string[] | string
    }
  }
}

/** The complete, normalised settings: every key present, paths absolute, URLs without trailing slashes. */
export interface ResolvedConfig {
  /** The config file that was (or would be) read, whether it exists, and why this path was chosen. */
  config_file: { path: string; exists: boolean; source: ConfigValueSource }
  server: {
    host: string
    port: number
    max_connections: number
    stream_keepalive_seconds: number
    websockets: boolean
  }
  paths: {
    data_dir: string
    logs_dir: string
    /** `<data_dir>/auth.json`: stored upstream credentials of the first account. */
    auth_file: string
    /** `<data_dir>/uploads`: stored upload bytes. */
    uploads_dir: string
    /** `<data_dir>/tmp`: upload staging. */
    tmp_dir: string
    /** `<data_dir>/accounts`: additional account slots. */
    accounts_dir: string
  }
  auth: { storage: AuthStorageMode; browser_open: boolean; login_timeout_seconds: number }
  upstream: {
    base_url: string
    issuer_base_url: string
    client_id: string
    client_version: string
    request_timeout_seconds: number
    stream_idle_timeout_seconds: number
  }
  security: {
    require_bearer_auth: boolean
    bearer_token_file: string
    /** The relay token from `AIRELAYS_BEARER_TOKEN` (or `AIRELAY_BEARER_TOKEN`); never read from or written to the file. */
    bearer_token: string | null
    auto_generate_bearer_token: boolean
    rate_limit_per_minute: number
    rate_limit_burst: number
    concurrent_requests_per_ip: number
    failed_auth_window_seconds: number
    failed_auth_max_attempts: number
    failed_auth_block_seconds: number
    allow_weak_bearer_token: boolean
    trust_x_forwarded_for: boolean
    trusted_proxies: string[]
    trusted_proxy_count: number
  }
  uploads: {
    max_upload_bytes: number
    max_total_upload_bytes: number
    max_expanded_bytes_per_request: number
    max_conversation_bytes: number
  }
  logging: {
    stream_lines: boolean
    retention_days: number
    max_request_log_bytes: number
    max_total_bytes: number
  }
  providers: {
    openai: {
      enabled: boolean
      models_cache_ttl_seconds: number
      balance: BalanceMode
      account_cooldown_seconds: number
      retry_attempts: number
      retry_backoff_seconds: number[]
      extra_models: string[]
    }
    anthropic: {
      enabled: boolean
      models: string[]
    }
    claude: {
      enabled: boolean
      oauth_token_file: string
      bin: string
      timeout_seconds: number
      max_concurrent_requests: number
      strip_api_key_env: boolean
      models: string[]
    }
  }
}

type KeyedSections = {
  server: ResolvedConfig['server']
  paths: Pick<ResolvedConfig['paths'], 'data_dir' | 'logs_dir'>
  auth: ResolvedConfig['auth']
  upstream: ResolvedConfig['upstream']
  security: ResolvedConfig['security']
  uploads: ResolvedConfig['uploads']
  logging: ResolvedConfig['logging']
  'providers.openai': ResolvedConfig['providers']['openai']
  'providers.anthropic': ResolvedConfig['providers']['anthropic']
  'providers.claude': ResolvedConfig['providers']['claude']
}

/** A config section, in the order config.toml is rendered. */
export type ConfigSection = keyof KeyedSections

/** Dotted name of a setting, e.g. `server.port` or `providers.openai.balance`. */
export type ConfigKeyPath = {
  [S in ConfigSection]: `${S}.${keyof KeyedSections[S] & string}`
}[ConfigSection]

/** Per-key origin of every resolved value. */
export type ConfigSources = Record<ConfigKeyPath, ConfigValueSource>

/** A value as stored in a resolved config. */
export type ConfigValue = string | number | boolean | null | readonly string[] | readonly number[]
