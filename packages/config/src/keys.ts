import type { ConfigFlags, ConfigKeyPath, ConfigSection, ConfigValue } from './types'

/** The type of a setting: how it is parsed, validated, rendered and described. */
export type ConfigValueType =
  /** A non-empty string (trimmed). */
  | { readonly kind: 'string' }
  /** A secret read only from the environment; never rendered, never echoed in messages. */
  | { readonly kind: 'secret' }
  /** An http(s) URL; trailing slashes are stripped. */
  | { readonly kind: 'url' }
  /** A filesystem path; `~` expands to the home directory and relative paths resolve against the cwd. */
  | { readonly kind: 'path' }
  /** TOML true/false; in env and flags also 1/yes/on and 0/no/off (case-insensitive). */
  | { readonly kind: 'boolean' }
  /** A whole number in `[min, max]`; with `clampBelowMin`, smaller values become `min` with a warning. */
  | {
      readonly kind: 'integer'
      readonly min: number
      readonly max?: number
      readonly clampBelowMin?: boolean
    }
  /** A finite number `>= min` (or `> min` when `exclusiveMin`). Rendered as a TOML float. */
  | { readonly kind: 'number'; readonly min: number; readonly exclusiveMin?: boolean }
  /** One of `values`, trimmed and lower-cased (and `-` → `_` when `dashToUnderscore`). */
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly dashToUnderscore?: boolean }
  /** A TOML array of strings or a comma-separated string. With `emptyUsesDefault`, `[]` means the default. */
  /**
   * A TOML array of strings or a comma-separated string. With `emptyUsesDefault`, `[]` means the
   * default; with `itemPattern` (a regular expression source), every entry must match it.
   */
  | {
      readonly kind: 'string-list'
      readonly emptyUsesDefault?: boolean
      readonly itemPattern?: string
      /** What an entry looks like, for error messages and the docs, e.g. `name=model[:effort]`. */
      readonly itemShape?: string
    }
  /** A non-empty list of finite numbers >= 0 (array or comma-separated); one bad entry rejects the whole value. */
  | { readonly kind: 'number-list' }

/** The built-in default of a setting. */
export type ConfigDefault =
  /** A fixed value. */
  | { readonly kind: 'value'; readonly value: ConfigValue }
  /** `~/<dir>`, or `~/<legacyDir>` when only the legacy directory exists. */
  | { readonly kind: 'home-dir'; readonly dir: string; readonly legacyDir: string }
  /** `<data_dir>/<name>`; follows `data_dir` wherever it is set. */
  | { readonly kind: 'data-dir'; readonly name: string }

/** A CLI flag bound to a setting. */
export interface ConfigFlagBinding {
  /** Field of `ConfigFlags`. */
  readonly option: keyof ConfigFlags
  /** The flag as typed, e.g. `--port`. */
  readonly name: string
  /** For switches: the value the setting takes when the flag is set (`--no-auth` → false). */
  readonly value?: boolean
}

/** One setting: the single source from which resolution, validation, rendering, schema and docs derive. */
export interface ConfigKeyDefinition {
  /** Dotted name, `<section>.<key>`. */
  readonly path: ConfigKeyPath
  /** TOML table, e.g. `providers.openai`. */
  readonly section: ConfigSection
  /** Key inside the table. */
  readonly key: string
  readonly type: ConfigValueType
  readonly default: ConfigDefault
  /** One sentence for humans: the config.toml comment, the schema description and the docs. */
  readonly description: string
  /** Environment variables, highest priority first. */
  readonly env: readonly string[]
  /** Pre-rename variables, read after `env` (highest priority first). */
  readonly legacyEnv: readonly string[]
  /** CLI flag overriding every other source. */
  readonly flag?: ConfigFlagBinding
  /** False for environment-only settings: never read from nor written to config.toml. */
  readonly inFile: boolean
}

/** Config tables in rendering order (the reference's order). */
export const configSections: readonly ConfigSection[] = [
  'server',
  'paths',
  'auth',
  'upstream',
  'security',
  'uploads',
  'logging',
  'providers.openai',
  'providers.anthropic',
  'providers.claude',
]

/** One line per section, for the JSON Schema and the docs. */
export const configSectionDescriptions: Readonly<Record<ConfigSection, string>> = {
  server: 'Where the relay listens.',
  paths: 'Where AIRelays keeps its state and logs.',
  auth: 'How `airelays login` runs and where upstream credentials are stored.',
  upstream: 'The ChatGPT (Codex backend) and OAuth issuer endpoints.',
  security: 'Relay token, per-IP rate limits and bad-token blocking.',
  uploads: 'Limits of the /v1/files store, of file references and of stored conversations.',
  logging: 'Traffic logs.',
  'providers.openai': 'The OpenAI runtime backed by the ChatGPT subscription login.',
  'providers.anthropic':
    'The Anthropic Messages API (/v1/messages) for Claude Code and the Anthropic SDK: which subscription model serves each Claude model name.',
  'providers.claude':
    'Claude runtime settings of the reference implementation, kept so existing files round-trip.',
}

/** Keys the reference ignores silently: accepted in the file, never reported, never rendered. */
export const ignoredLegacyKeys: readonly string[] = ['paths.codex_home']

type KeySpec = Omit<ConfigKeyDefinition, 'path' | 'section' | 'key' | 'legacyEnv' | 'inFile'> & {
  legacyEnv?: readonly string[]
  inFile?: boolean
}

function define(section: ConfigSection, key: string, spec: KeySpec): ConfigKeyDefinition {
  return {
    path: `${section}.${key}` as ConfigKeyPath,
    section,
    key,
    type: spec.type,
    default: spec.default,
    description: spec.description,
    env: spec.env,
    legacyEnv: spec.legacyEnv ?? [],
    ...(spec.flag ? { flag: spec.flag } : {}),
    inFile: spec.inFile ?? true,
  }
}

/** `AIRELAYS_X` plus its legacy `AIRELAY_X` (and `OPENAI_ENDPOINT_X` when `withOpenAiEndpoint`). */
function names(suffix: string, withOpenAiEndpoint: boolean): Pick<KeySpec, 'env' | 'legacyEnv'> {
  return {
    env: [`AIRELAYS_${suffix}`],
    legacyEnv: withOpenAiEndpoint
      ? [`AIRELAY_${suffix}`, `OPENAI_ENDPOINT_${suffix}`]
      : [`AIRELAY_${suffix}`],
  }
}

/** One `[providers.anthropic] models` entry: `name=model` or `name=model:effort`. */
export const CLAUDE_MODEL_ENTRY: RegExp = /^[^=\s]+=[^:=\s]+(:[a-z]+)?$/

const value = (v: ConfigValue): ConfigDefault => ({ kind: 'value', value: v })
const positiveInt: ConfigValueType = { kind: 'integer', min: 1 }
const nonNegativeInt: ConfigValueType = { kind: 'integer', min: 0 }
const positiveNumber: ConfigValueType = { kind: 'number', min: 0, exclusiveMin: true }
const bool: ConfigValueType = { kind: 'boolean' }

/** Every setting of AIRelays, in rendering order. */
export const configKeys: readonly ConfigKeyDefinition[] = [
  define('server', 'host', {
    type: { kind: 'string' },
    default: value('127.0.0.1'),
    description: 'Address the relay listens on.',
    ...names('HOST', true),
    flag: { option: 'host', name: '--host' },
  }),
  define('server', 'port', {
    type: { kind: 'integer', min: 1, max: 65535 },
    default: value(8080),
    description: 'Port the relay listens on.',
    ...names('PORT', true),
    flag: { option: 'port', name: '--port' },
  }),
  define('server', 'max_connections', {
    type: positiveInt,
    default: value(512),
    description:
      'Open client connections at once (idle keep-alive ones included), at most half of them from one client (all loopback addresses are one client). A new connection past either cap evicts the oldest idle connection (one with no request in progress: half-open or between keep-alive requests) and is closed only when every connection is busy, so a flood of idle sockets can neither use up the file descriptors nor lock out valid clients.',
    env: ['AIRELAYS_MAX_CONNECTIONS'],
  }),
  define('server', 'stream_keepalive_seconds', {
    type: positiveNumber,
    default: value(15),
    description:
      'While a stream has nothing to send, the relay writes an SSE keep-alive comment at least this often, in seconds.',
    env: ['AIRELAYS_STREAM_KEEPALIVE_SECONDS'],
  }),
  define('server', 'websockets', {
    type: bool,
    default: value(true),
    description:
      'Serve the Responses WebSocket transport on /v1/responses (Codex); when false an upgrade gets 426 and clients use HTTP.',
    env: ['AIRELAYS_WEBSOCKETS'],
  }),
  define('paths', 'data_dir', {
    type: { kind: 'path' },
    default: { kind: 'home-dir', dir: '.airelays', legacyDir: '.airelay' },
    description: 'Directory for credentials, the relay token, uploads and state.',
    ...names('DATA_DIR', true),
    flag: { option: 'dataDir', name: '--data-dir' },
  }),
  define('paths', 'logs_dir', {
    type: { kind: 'path' },
    default: { kind: 'data-dir', name: 'logs' },
    description: 'Directory for the hourly JSONL traffic logs.',
    ...names('LOGS_DIR', true),
    flag: { option: 'logsDir', name: '--logs-dir' },
  }),
  define('auth', 'storage', {
    type: { kind: 'enum', values: ['auto', 'file', 'keyring'] },
    default: value('auto'),
    description: 'Where upstream credentials are stored: auto (keychain, else a 0600 file), file or keyring.',
    ...names('AUTH_STORAGE', true),
    flag: { option: 'authStorage', name: '--auth-storage' },
  }),
  define('auth', 'browser_open', {
    type: bool,
    default: value(false),
    description: 'Open the browser automatically during `airelays login`.',
    ...names('BROWSER_OPEN', true),
  }),
  define('auth', 'login_timeout_seconds', {
    type: positiveInt,
    default: value(900),
    description: 'How long a login waits for approval, in seconds.',
    ...names('LOGIN_TIMEOUT_SECONDS', true),
  }),
  define('upstream', 'base_url', {
    type: { kind: 'url' },
    default: value('https://chatgpt.com/backend-api/codex'),
    description: 'Codex backend base URL.',
    ...names('UPSTREAM_BASE_URL', true),
  }),
  define('upstream', 'issuer_base_url', {
    type: { kind: 'url' },
    default: value('https://auth.openai.com'),
    description: 'OAuth issuer base URL.',
    ...names('ISSUER_BASE_URL', true),
  }),
  define('upstream', 'client_id', {
    type: { kind: 'string' },
    default: value('app_EMoamEEZ73f0CkXaXp7hrann'),
    description: 'OAuth client id used for login and refresh.',
    ...names('CLIENT_ID', true),
  }),
  define('upstream', 'client_version', {
    type: { kind: 'string' },
    default: value('0.171.0'),
    description:
      'Codex client version sent to the backend for both /models and /responses; it decides which models can be called. When left at the default, a newer installed `codex` CLI wins.',
    ...names('CLIENT_VERSION', true),
  }),
  define('upstream', 'request_timeout_seconds', {
    type: positiveNumber,
    default: value(120),
    description: 'Upstream request timeout, in seconds.',
    ...names('REQUEST_TIMEOUT_SECONDS', true),
  }),
  define('upstream', 'stream_idle_timeout_seconds', {
    type: positiveNumber,
    default: value(600),
    description:
      'How long an upstream stream may stay silent (silent reasoning, safety buffering) before the relay gives up, in seconds.',
    env: ['AIRELAYS_STREAM_IDLE_TIMEOUT_SECONDS'],
  }),
  define('security', 'require_bearer_auth', {
    type: bool,
    default: value(true),
    description: 'Require the relay token (Authorization: Bearer) on /v1 routes.',
    ...names('REQUIRE_BEARER_AUTH', false),
    flag: { option: 'noAuth', name: '--no-auth', value: false },
  }),
  define('security', 'bearer_token_file', {
    type: { kind: 'path' },
    default: { kind: 'data-dir', name: 'relay-token' },
    description: 'File holding the relay token (mode 0600).',
    ...names('BEARER_TOKEN_FILE', false),
    flag: { option: 'bearerTokenFile', name: '--bearer-token-file' },
  }),
  define('security', 'bearer_token', {
    type: { kind: 'secret' },
    default: value(null),
    description: 'The relay token itself, from the environment only; it wins over bearer_token_file.',
    ...names('BEARER_TOKEN', false),
    inFile: false,
  }),
  define('security', 'auto_generate_bearer_token', {
    type: bool,
    default: value(false),
    description: 'Generate a relay token at `airelays serve` when none exists.',
    ...names('AUTO_GENERATE_BEARER_TOKEN', false),
    flag: { option: 'noAuth', name: '--no-auth', value: false },
  }),
  define('security', 'rate_limit_per_minute', {
    type: positiveInt,
    default: value(120),
    description: 'Requests per minute per client IP (token-bucket refill rate).',
    ...names('RATE_LIMIT_PER_MINUTE', false),
  }),
  define('security', 'rate_limit_burst', {
    type: positiveInt,
    default: value(40),
    description: 'Token-bucket size per client IP.',
    ...names('RATE_LIMIT_BURST', false),
  }),
  define('security', 'concurrent_requests_per_ip', {
    type: positiveInt,
    default: value(50),
    description: 'Requests in flight at once per client IP.',
    ...names('CONCURRENT_REQUESTS_PER_IP', false),
  }),
  define('security', 'failed_auth_window_seconds', {
    type: positiveInt,
    default: value(300),
    description: 'Window in which failed bearer attempts are counted, in seconds.',
    ...names('FAILED_AUTH_WINDOW_SECONDS', false),
  }),
  define('security', 'failed_auth_max_attempts', {
    type: positiveInt,
    default: value(8),
    description: 'Failed bearer attempts within the window before the client IP is blocked.',
    ...names('FAILED_AUTH_MAX_ATTEMPTS', false),
  }),
  define('security', 'failed_auth_block_seconds', {
    type: positiveInt,
    default: value(900),
    description: 'How long a blocked client IP stays blocked, in seconds.',
    ...names('FAILED_AUTH_BLOCK_SECONDS', false),
  }),
  define('security', 'allow_weak_bearer_token', {
    type: bool,
    default: value(false),
    description:
      'Let `airelays serve` start (and `airelays init` finish) with a relay token of under 128 bits (a hand-set token such as `1234`, in the token file or `AIRELAYS_BEARER_TOKEN`); without it such a token is refused.',
    env: ['AIRELAYS_ALLOW_WEAK_BEARER_TOKEN'],
    flag: { option: 'allowWeakToken', name: '--allow-weak-token', value: true },
  }),
  define('security', 'trust_x_forwarded_for', {
    type: bool,
    default: value(false),
    description:
      'Take the client IP from X-Forwarded-For (only behind a proxy that appends to it): the rightmost entry that is not a trusted proxy.',
    ...names('TRUST_X_FORWARDED_FOR', false),
  }),
  define('security', 'trusted_proxies', {
    type: { kind: 'string-list' },
    default: value([]),
    description:
      'Addresses or CIDR ranges of your proxies (e.g. 127.0.0.1, 10.0.0.0/8). With trust_x_forwarded_for, X-Forwarded-For is read from the right, skipping these; empty means trusted_proxy_count decides.',
    env: ['AIRELAYS_TRUSTED_PROXIES'],
  }),
  define('security', 'trusted_proxy_count', {
    type: positiveInt,
    default: value(1),
    description:
      'When trusted_proxies is empty: how many proxies stand in front of the relay; the client IP is the X-Forwarded-For entry that many hops from the socket.',
    env: ['AIRELAYS_TRUSTED_PROXY_COUNT'],
  }),
  define('uploads', 'max_upload_bytes', {
    type: positiveInt,
    default: value(33_554_432),
    description: 'Largest single upload, in bytes (32 MiB).',
    ...names('MAX_UPLOAD_BYTES', false),
  }),
  define('uploads', 'max_total_upload_bytes', {
    type: positiveInt,
    default: value(268_435_456),
    description: 'Total size of all stored uploads, in bytes (256 MiB).',
    ...names('MAX_TOTAL_UPLOAD_BYTES', false),
  }),
  define('uploads', 'max_expanded_bytes_per_request', {
    type: positiveInt,
    default: value(67_108_864),
    description:
      'Most file bytes one request may inline through file references, counting every reference (64 MiB); more is refused with 413 before anything is read.',
    env: ['AIRELAYS_MAX_EXPANDED_BYTES_PER_REQUEST'],
  }),
  define('uploads', 'max_conversation_bytes', {
    type: positiveInt,
    default: value(67_108_864),
    description:
      'Largest size of the stored conversations (conversations.json), in bytes (64 MiB); a write that would pass it is refused with 507.',
    env: ['AIRELAYS_MAX_CONVERSATION_BYTES'],
  }),
  define('logging', 'stream_lines', {
    type: bool,
    default: value(false),
    description: 'Log every upstream stream line (large logs).',
    env: ['AIRELAYS_LOG_STREAM_LINES'],
  }),
  define('logging', 'retention_days', {
    type: nonNegativeInt,
    default: value(30),
    description:
      'Delete traffic logs older than this many days; 0 keeps them forever. Logs already older than this when retention first applies to a logs dir (e.g. from the Python relay) are kept.',
    env: ['AIRELAYS_LOG_RETENTION_DAYS'],
  }),
  define('logging', 'max_request_log_bytes', {
    type: positiveInt,
    default: value(1_048_576),
    description:
      'Most bytes of one traffic log record, a request or its answer (1 MiB); longer bodies are cut and marked truncated. A request refused for a missing or wrong token is logged in at most 2 KiB.',
    env: ['AIRELAYS_LOG_MAX_REQUEST_BYTES'],
  }),
  define('logging', 'max_total_bytes', {
    type: nonNegativeInt,
    default: value(1_073_741_824),
    description:
      'Most bytes all traffic logs may take (1 GiB); past it the oldest hour files are deleted, and writing pauses while the current hour alone is over. 0 means no limit.',
    env: ['AIRELAYS_LOG_MAX_TOTAL_BYTES'],
  }),
  define('providers.openai', 'enabled', {
    type: bool,
    default: value(true),
    description: 'Serve OpenAI models through the ChatGPT subscription login.',
    ...names('ENABLE_OPENAI', false),
  }),
  define('providers.openai', 'models_cache_ttl_seconds', {
    type: { kind: 'number', min: 0 },
    default: value(300),
    description: 'How long the upstream model list is cached, in seconds; 0 disables the cache.',
    env: ['AIRELAYS_MODELS_CACHE_TTL_SECONDS', 'AIRELAYS_OPENAI_MODELS_CACHE_TTL_SECONDS'],
    legacyEnv: ['AIRELAY_MODELS_CACHE_TTL_SECONDS', 'AIRELAY_OPENAI_MODELS_CACHE_TTL_SECONDS'],
  }),
  define('providers.openai', 'balance', {
    type: { kind: 'enum', values: ['balanced', 'round_robin', 'ordered'], dashToUnderscore: true },
    default: value('balanced'),
    description: 'How requests spread over signed-in accounts: balanced, round_robin or ordered.',
    env: ['AIRELAYS_OPENAI_BALANCE'],
  }),
  define('providers.openai', 'account_cooldown_seconds', {
    type: nonNegativeInt,
    default: value(300),
    description: 'How long an account that hit its usage limit is skipped, in seconds.',
    env: ['AIRELAYS_OPENAI_ACCOUNT_COOLDOWN_SECONDS'],
  }),
  define('providers.openai', 'retry_attempts', {
    type: { kind: 'integer', min: 0, clampBelowMin: true },
    default: value(3),
    description:
      'Retries of an upstream request that failed before its first byte; negative values become 0.',
    env: ['AIRELAYS_OPENAI_RETRY_ATTEMPTS'],
  }),
  define('providers.openai', 'retry_backoff_seconds', {
    type: { kind: 'number-list' },
    default: value([5, 20, 60]),
    description: 'Delays between retries, in seconds; the last one repeats.',
    env: ['AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS'],
  }),
  define('providers.openai', 'extra_models', {
    type: { kind: 'string-list' },
    default: value([]),
    description:
      'Model ids accepted and listed in /v1/models although the upstream catalog does not list them (for models the backend serves unlisted).',
    env: ['AIRELAYS_OPENAI_EXTRA_MODELS'],
  }),
  define('providers.anthropic', 'enabled', {
    type: bool,
    default: value(true),
    description: 'Serve the Anthropic Messages API (/v1/messages, count_tokens) on the subscription.',
    env: ['AIRELAYS_ENABLE_ANTHROPIC'],
  }),
  define('providers.anthropic', 'models', {
    type: {
      kind: 'string-list',
      emptyUsesDefault: true,
      itemPattern: CLAUDE_MODEL_ENTRY.source,
      itemShape: 'name=model or name=model:effort',
    },
    default: value([
      'opus=gpt-5.5:high',
      'sonnet=gpt-5.5:medium',
      'haiku=gpt-5.4-mini:low',
      'fable=gpt-5.5:medium',
      'claude-*=gpt-5.5:medium',
    ]),
    description:
      'Claude model name -> subscription model and effort, as name=model[:effort]: an exact id (claude-opus-4-8), a family word (opus, sonnet, haiku, fable) or a pattern with * (claude-*); an empty list means the default.',
    env: ['AIRELAYS_ANTHROPIC_MODELS'],
  }),
  define('providers.claude', 'enabled', {
    type: bool,
    default: value(true),
    description: 'Claude runtime switch, kept for compatibility (this relay does not run Claude).',
    env: ['AIRELAYS_ENABLE_CLAUDE'],
    legacyEnv: ['AIRELAYS_ENABLE_CLAUDE_EXPERIMENTAL', 'AIRELAY_ENABLE_CLAUDE_EXPERIMENTAL'],
  }),
  define('providers.claude', 'oauth_token_file', {
    type: { kind: 'path' },
    default: { kind: 'data-dir', name: 'claude-token' },
    description: 'Stored Claude Code OAuth token file.',
    env: ['AIRELAYS_CLAUDE_OAUTH_TOKEN_FILE'],
  }),
  define('providers.claude', 'bin', {
    type: { kind: 'string' },
    default: value('claude'),
    description: 'The claude executable.',
    ...names('CLAUDE_BIN', false),
  }),
  define('providers.claude', 'timeout_seconds', {
    type: positiveNumber,
    default: value(600),
    description: 'Claude CLI timeout, in seconds.',
    ...names('CLAUDE_TIMEOUT_SECONDS', false),
  }),
  define('providers.claude', 'max_concurrent_requests', {
    type: positiveInt,
    default: value(2),
    description: 'Claude CLI processes running at once.',
    ...names('CLAUDE_MAX_CONCURRENT_REQUESTS', false),
  }),
  define('providers.claude', 'strip_api_key_env', {
    type: bool,
    default: value(true),
    description: 'Remove ANTHROPIC_* API-key variables from the Claude CLI environment.',
    ...names('CLAUDE_STRIP_API_KEY_ENV', false),
  }),
  define('providers.claude', 'models', {
    type: { kind: 'string-list' },
    default: value(['claude:sonnet', 'claude:opus', 'claude:haiku', 'claude:fable']),
    description: 'Claude model ids.',
    ...names('CLAUDE_MODELS', false),
  }),
]
