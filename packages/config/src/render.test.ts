import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CONFIG_RELATIVE, createTestHome, type TestHome } from './_internal/test-home'
import { getConfigValue } from './_internal/values'
import { ConfigError, isConfigError } from './errors'
import { configKeys } from './keys'
import { loadConfig } from './load'
import { renderConfig, writeConfig } from './render'
import type { ResolvedConfig } from './types'

let home: TestHome
beforeEach(async () => {
  home = await createTestHome()
})
afterEach(async () => {
  await home.remove()
})

async function defaults(env: Record<string, string> = {}): Promise<ResolvedConfig> {
  const result = await loadConfig({ homeDir: home.dir, cwd: home.dir, env })
  expect(result.errors).toEqual([])
  return result.config
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

describe('renderConfig', () => {
  it('renders every file key in the reference order with a comment each, and no relay token', async () => {
    const config = await defaults({ AIRELAYS_BEARER_TOKEN: 'canary-relay-token-1234' })
    const text = renderConfig(config)
    expect(text).not.toContain('canary-relay-token-1234')
    expect(text).not.toMatch(/^bearer_token\s*=/m)
    expect(text.replaceAll(home.dir, '<home>')).toMatchInlineSnapshot(`
      "# AIRelays configuration.
      # Precedence for every key: CLI flags > AIRELAYS_* environment > legacy AIRELAY_* / OPENAI_ENDPOINT_*
      # environment > this file > built-in defaults.
      # The relay token is never stored here: it lives in bearer_token_file (or AIRELAYS_BEARER_TOKEN).

      [server]
      # Address the relay listens on.
      host = "127.0.0.1"
      # Port the relay listens on.
      port = 8080
      # Open client connections at once (idle keep-alive ones included), at most half of them from one client (all loopback addresses are one client). A new connection past either cap evicts the oldest idle connection (one with no request in progress: half-open or between keep-alive requests) and is closed only when every connection is busy, so a flood of idle sockets can neither use up the file descriptors nor lock out valid clients.
      max_connections = 512
      # While a stream has nothing to send, the relay writes an SSE keep-alive comment at least this often, in seconds.
      stream_keepalive_seconds = 15.0
      # Serve the Responses WebSocket transport on /v1/responses (Codex); when false an upgrade gets 426 and clients use HTTP.
      websockets = true

      [paths]
      # Directory for credentials, the relay token, uploads and state.
      data_dir = "<home>/.airelays"
      # Directory for the hourly JSONL traffic logs.
      logs_dir = "<home>/.airelays/logs"

      [auth]
      # Where upstream credentials are stored: auto (keychain, else a 0600 file), file or keyring.
      storage = "auto"
      # Open the browser automatically during \`airelays login\`.
      browser_open = false
      # How long a login waits for approval, in seconds.
      login_timeout_seconds = 900

      [upstream]
      # Codex backend base URL.
      base_url = "https://chatgpt.com/backend-api/codex"
      # OAuth issuer base URL.
      issuer_base_url = "https://auth.openai.com"
      # OAuth client id used for login and refresh.
      client_id = "app_EMoamEEZ73f0CkXaXp7hrann"
      # Codex client version sent to the backend for both /models and /responses; it decides which models can be called. When left at the default, a newer installed \`codex\` CLI wins.
      client_version = "0.171.0"
      # Upstream request timeout, in seconds.
      request_timeout_seconds = 120.0
      # How long an upstream stream may stay silent (silent reasoning, safety buffering) before the relay gives up, in seconds.
      stream_idle_timeout_seconds = 600.0

      [security]
      # Require the relay token (Authorization: Bearer) on /v1 routes.
      require_bearer_auth = true
      # File holding the relay token (mode 0600).
      bearer_token_file = "<home>/.airelays/relay-token"
      # Generate a relay token at \`airelays serve\` when none exists.
      auto_generate_bearer_token = false
      # Requests per minute per client IP (token-bucket refill rate).
      rate_limit_per_minute = 120
      # Token-bucket size per client IP.
      rate_limit_burst = 40
      # Requests in flight at once per client IP.
      concurrent_requests_per_ip = 50
      # Window in which failed bearer attempts are counted, in seconds.
      failed_auth_window_seconds = 300
      # Failed bearer attempts within the window before the client IP is blocked.
      failed_auth_max_attempts = 8
      # How long a blocked client IP stays blocked, in seconds.
      failed_auth_block_seconds = 900
      # Let \`airelays serve\` start (and \`airelays init\` finish) with a relay token of under 128 bits (a hand-set token such as \`1234\`, in the token file or \`AIRELAYS_BEARER_TOKEN\`); without it such a token is refused.
      allow_weak_bearer_token = false
      # Take the client IP from X-Forwarded-For (only behind a proxy that appends to it): the rightmost entry that is not a trusted proxy.
      trust_x_forwarded_for = false
      # Addresses or CIDR ranges of your proxies (e.g. 127.0.0.1, 10.0.0.0/8). With trust_x_forwarded_for, X-Forwarded-For is read from the right, skipping these; empty means trusted_proxy_count decides.
      trusted_proxies = []
      # When trusted_proxies is empty: how many proxies stand in front of the relay; the client IP is the X-Forwarded-For entry that many hops from the socket.
      trusted_proxy_count = 1

      [uploads]
      # Largest single upload, in bytes (32 MiB).
      max_upload_bytes = 33554432
      # Total size of all stored uploads, in bytes (256 MiB).
      max_total_upload_bytes = 268435456
      # Most file bytes one request may inline through file references, counting every reference (64 MiB); more is refused with 413 before anything is read.
      max_expanded_bytes_per_request = 67108864
      # Largest size of the stored conversations (conversations.json), in bytes (64 MiB); a write that would pass it is refused with 507.
      max_conversation_bytes = 67108864

      [logging]
      # Log every upstream stream line (large logs).
      stream_lines = false
      # Delete traffic logs older than this many days; 0 keeps them forever. Logs already older than this when retention first applies to a logs dir (e.g. from the Python relay) are kept.
      retention_days = 30
      # Most bytes of one traffic log record, a request or its answer (1 MiB); longer bodies are cut and marked truncated. A request refused for a missing or wrong token is logged in at most 2 KiB.
      max_request_log_bytes = 1048576
      # Most bytes all traffic logs may take (1 GiB); past it the oldest hour files are deleted, and writing pauses while the current hour alone is over. 0 means no limit.
      max_total_bytes = 1073741824

      [providers.openai]
      # Serve OpenAI models through the ChatGPT subscription login.
      enabled = true
      # How long the upstream model list is cached, in seconds; 0 disables the cache.
      models_cache_ttl_seconds = 300.0
      # How requests spread over signed-in accounts: balanced, round_robin or ordered.
      balance = "balanced"
      # How long an account that hit its usage limit is skipped, in seconds.
      account_cooldown_seconds = 300
      # Retries of an upstream request that failed before its first byte; negative values become 0.
      retry_attempts = 3
      # Delays between retries, in seconds; the last one repeats.
      retry_backoff_seconds = [5, 20, 60]
      # Model ids accepted and listed in /v1/models although the upstream catalog does not list them (for models the backend serves unlisted).
      extra_models = []

      [providers.anthropic]
      # Serve the Anthropic Messages API (/v1/messages, count_tokens) on the subscription.
      enabled = true
      # Claude model name -> subscription model and effort, as name=model[:effort]: an exact id (claude-opus-4-8), a family word (opus, sonnet, haiku, fable) or a pattern with * (claude-*); an empty list means the default.
      models = ["opus=gpt-5.5:high", "sonnet=gpt-5.5:medium", "haiku=gpt-5.4-mini:low", "fable=gpt-5.5:medium", "claude-*=gpt-5.5:medium"]

      [providers.claude]
      # Claude runtime switch, kept for compatibility (this relay does not run Claude).
      enabled = true
      # Stored Claude Code OAuth token file.
      oauth_token_file = "<home>/.airelays/claude-token"
      # The claude executable.
      bin = "claude"
      # Claude CLI timeout, in seconds.
      timeout_seconds = 600.0
      # Claude CLI processes running at once.
      max_concurrent_requests = 2
      # Remove ANTHROPIC_* API-key variables from the Claude CLI environment.
      strip_api_key_env = true
      # Claude model ids.
      models = ["claude:sonnet", "claude:opus", "claude:haiku", "claude:fable"]
      "
    `)
  })

  it('round-trips: render -> load gives the same resolved values, all from the file, with no issues', async () => {
    const env = {
      AIRELAYS_HOST: '::1',
      AIRELAYS_PORT: '9999',
      AIRELAYS_DATA_DIR: '~/data',
      AIRELAYS_LOGS_DIR: '/var/log/airelays',
      AIRELAYS_AUTH_STORAGE: 'file',
      AIRELAYS_BROWSER_OPEN: 'true',
      AIRELAYS_LOGIN_TIMEOUT_SECONDS: '60',
      AIRELAYS_UPSTREAM_BASE_URL: 'http://127.0.0.1:1/backend-api/codex/',
      AIRELAYS_ISSUER_BASE_URL: 'http://127.0.0.1:1',
      AIRELAYS_CLIENT_ID: 'app_test',
      AIRELAYS_CLIENT_VERSION: '9.9.9',
      AIRELAYS_REQUEST_TIMEOUT_SECONDS: '12.5',
      AIRELAYS_REQUIRE_BEARER_AUTH: 'off',
      AIRELAYS_BEARER_TOKEN_FILE: '~/token file "quoted"',
      AIRELAYS_AUTO_GENERATE_BEARER_TOKEN: 'yes',
      AIRELAYS_RATE_LIMIT_PER_MINUTE: '600',
      AIRELAYS_RATE_LIMIT_BURST: '100',
      AIRELAYS_CONCURRENT_REQUESTS_PER_IP: '500',
      AIRELAYS_FAILED_AUTH_WINDOW_SECONDS: '60',
      AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '2',
      AIRELAYS_FAILED_AUTH_BLOCK_SECONDS: '60',
      AIRELAYS_TRUST_X_FORWARDED_FOR: '1',
      AIRELAYS_MAX_UPLOAD_BYTES: '1024',
      AIRELAYS_MAX_TOTAL_UPLOAD_BYTES: '4096',
      AIRELAYS_LOG_STREAM_LINES: 'on',
      AIRELAYS_LOG_RETENTION_DAYS: '0',
      AIRELAYS_ENABLE_OPENAI: 'false',
      AIRELAYS_MODELS_CACHE_TTL_SECONDS: '0',
      AIRELAYS_OPENAI_BALANCE: 'Round-Robin',
      AIRELAYS_OPENAI_ACCOUNT_COOLDOWN_SECONDS: '0',
      AIRELAYS_OPENAI_RETRY_ATTEMPTS: '5',
      AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS: '0.5,1,1e3',
      AIRELAYS_OPENAI_EXTRA_MODELS: 'gpt-a,gpt-b',
      AIRELAYS_ENABLE_CLAUDE: '0',
      AIRELAYS_CLAUDE_OAUTH_TOKEN_FILE: '/etc/claude\\token',
      AIRELAYS_CLAUDE_BIN: '/opt/claude bin/claude',
      AIRELAYS_CLAUDE_TIMEOUT_SECONDS: '1.5',
      AIRELAYS_CLAUDE_MAX_CONCURRENT_REQUESTS: '4',
      AIRELAYS_CLAUDE_STRIP_API_KEY_ENV: 'no',
      AIRELAYS_CLAUDE_MODELS: 'claude:x, claude:y',
      AIRELAYS_BEARER_TOKEN: 'not-rendered',
    }
    const original = await defaults(env)
    const path = join(home.dir, 'roundtrip/config.toml')
    await writeConfig(path, original)
    const reloaded = await loadConfig({ homeDir: home.dir, cwd: home.dir, env: {}, flags: { config: path } })
    expect(reloaded.errors).toEqual([])
    expect(reloaded.warnings).toEqual([])
    for (const def of configKeys) {
      if (!def.inFile) continue
      expect(getConfigValue(reloaded.config, def), def.path).toEqual(getConfigValue(original, def))
      expect(reloaded.sources[def.path].kind, def.path).toBe('file')
    }
    expect(reloaded.config.paths).toEqual(original.paths)
    expect(reloaded.config.security.bearer_token).toBeNull()
    expect({ ...reloaded.config, config_file: null, security: null }).toEqual({
      ...original,
      config_file: null,
      security: null,
    })
  })

  it('round-trips the defaults too', async () => {
    const original = await defaults()
    await writeConfig(original.config_file.path, original)
    const reloaded = await loadConfig({ homeDir: home.dir, cwd: home.dir, env: {} })
    expect(reloaded.errors).toEqual([])
    expect(reloaded.warnings).toEqual([])
    expect({ ...reloaded.config, config_file: null }).toEqual({ ...original, config_file: null })
    expect(reloaded.config.config_file.exists).toBe(true)
  })

  it('escapes strings so any text survives TOML parsing', async () => {
    const config = await defaults()
    const host = 'a"b\\c\td\u007fe\u0001 \u00e9 \u{1F600} #not-a-comment'
    const text = renderConfig({ ...config, server: { ...config.server, host } })
    expect((parse(text) as { server: { host: string } }).server.host).toBe(host)
  })

  it('refuses values loadConfig would reject, with config_invalid_value', async () => {
    const config = await defaults()
    const bad: ResolvedConfig[] = [
      { ...config, server: { ...config.server, port: 0 } },
      { ...config, server: { ...config.server, host: '' } },
      { ...config, auth: { ...config.auth, storage: 'vault' as 'file' } },
      {
        ...config,
        providers: {
          ...config.providers,
          openai: { ...config.providers.openai, retry_backoff_seconds: [1, Number.NaN] },
        },
      },
    ]
    for (const candidate of bad) {
      let caught: unknown
      try {
        renderConfig(candidate)
      } catch (error) {
        caught = error
      }
      expect(isConfigError(caught)).toBe(true)
      expect((caught as ConfigError).code).toBe('config_invalid_value')
      expect((caught as ConfigError).message).toMatch(
        /^Cannot render \[(server|auth|providers\.openai)\] \w+: /,
      )
    }
  })
})

describe('writeConfig', () => {
  it('creates parent directories 0700 and the file 0600, leaving no temp file', async () => {
    const config = await defaults()
    const path = join(home.dir, 'new/nested/config.toml')
    const result = await writeConfig(path, config)
    expect(result).toEqual({ path, created: true })
    expect(await mode(path)).toBe(0o600)
    expect(await mode(join(home.dir, 'new'))).toBe(0o700)
    expect(await mode(join(home.dir, 'new/nested'))).toBe(0o700)
    expect(await readFile(path, 'utf8')).toBe(renderConfig(config))
    expect(await readdir(join(home.dir, 'new/nested'))).toEqual(['config.toml'])
  })

  it('keeps an existing file unless force is set (config_exists), then replaces it with mode 0600', async () => {
    const config = await defaults()
    const path = await home.write(CONFIG_RELATIVE, '# hand-written\n')
    await chmod(path, 0o644)
    let caught: unknown
    try {
      await writeConfig(path, config)
    } catch (error) {
      caught = error
    }
    expect(isConfigError(caught)).toBe(true)
    expect(caught).toMatchObject({ code: 'config_exists', path })
    expect((caught as Error).message).toBe(
      `The config file ${path} already exists; it was kept. Use --force to replace it.`,
    )
    expect(await readFile(path, 'utf8')).toBe('# hand-written\n')
    expect(await readdir(join(home.dir, '.config/airelays'))).toEqual(['config.toml'])

    const forced = await writeConfig(path, config, { force: true })
    expect(forced).toEqual({ path, created: false })
    expect(await readFile(path, 'utf8')).toBe(renderConfig(config))
    expect(await mode(path)).toBe(0o600)
    expect(await readdir(join(home.dir, '.config/airelays'))).toEqual(['config.toml'])
  })

  it('reports I/O failures as config_write_failed with the cause', async () => {
    const config = await defaults()
    const blocker = join(home.dir, 'not-a-dir')
    await writeFile(blocker, 'x')
    let caught: unknown
    try {
      await writeConfig(join(blocker, 'config.toml'), config)
    } catch (error) {
      caught = error
    }
    expect(isConfigError(caught)).toBe(true)
    expect(caught).toMatchObject({ code: 'config_write_failed', path: join(blocker, 'config.toml') })
    expect((caught as Error).cause).toBeInstanceOf(Error)
  })
})

describe('ConfigError', () => {
  it('is recognised by its brand, not by shape or instanceof', () => {
    const error = new ConfigError('config_exists', 'exists', { path: '/x' })
    expect(isConfigError(error)).toBe(true)
    expect(error.name).toBe('ConfigError')
    expect(isConfigError(new Error('config_exists'))).toBe(false)
    expect(isConfigError({ code: 'config_exists', name: 'ConfigError', message: 'x' })).toBe(false)
    expect(isConfigError(null)).toBe(false)
  })
})
