import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CONFIG_RELATIVE, createTestHome, type TestHome } from './_internal/test-home'
import { getConfigValue } from './_internal/values'
import { configKeys } from './keys'
import { type LoadConfigOptions, type LoadConfigResult, loadConfig } from './load'
import type { ConfigFlags, ConfigKeyPath } from './types'

let home: TestHome
beforeEach(async () => {
  home = await createTestHome()
})
afterEach(async () => {
  await home.remove()
})

function load(options: LoadConfigOptions = {}): Promise<LoadConfigResult> {
  return loadConfig({ homeDir: home.dir, cwd: home.dir, env: {}, ...options })
}

function resolvedValue(result: LoadConfigResult, path: ConfigKeyPath): unknown {
  const def = configKeys.find((d) => d.path === path)
  if (!def) throw new Error(`no key ${path}`)
  return getConfigValue(result.config, def)
}

describe('defaults', () => {
  it('resolves every key to its documented default when nothing is set', async () => {
    const result = await load()
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(new Set(Object.values(result.sources).map((s) => s.kind))).toEqual(new Set(['default']))
    expect(home.redact(result.config)).toMatchInlineSnapshot(`
      {
        "auth": {
          "browser_open": false,
          "login_timeout_seconds": 900,
          "storage": "auto",
        },
        "config_file": {
          "exists": false,
          "path": "<home>/.config/airelays/config.toml",
          "source": {
            "kind": "default",
          },
        },
        "logging": {
          "max_request_log_bytes": 1048576,
          "max_total_bytes": 1073741824,
          "retention_days": 30,
          "stream_lines": false,
        },
        "paths": {
          "accounts_dir": "<home>/.airelays/accounts",
          "auth_file": "<home>/.airelays/auth.json",
          "data_dir": "<home>/.airelays",
          "logs_dir": "<home>/.airelays/logs",
          "tmp_dir": "<home>/.airelays/tmp",
          "uploads_dir": "<home>/.airelays/uploads",
        },
        "providers": {
          "anthropic": {
            "enabled": true,
            "models": [
              "opus=gpt-5.5:high",
              "sonnet=gpt-5.5:medium",
              "haiku=gpt-5.4-mini:low",
              "fable=gpt-5.5:medium",
              "claude-*=gpt-5.5:medium",
            ],
          },
          "claude": {
            "bin": "claude",
            "enabled": true,
            "max_concurrent_requests": 2,
            "models": [
              "claude:sonnet",
              "claude:opus",
              "claude:haiku",
              "claude:fable",
            ],
            "oauth_token_file": "<home>/.airelays/claude-token",
            "strip_api_key_env": true,
            "timeout_seconds": 600,
          },
          "openai": {
            "account_cooldown_seconds": 300,
            "balance": "balanced",
            "enabled": true,
            "extra_models": [],
            "models_cache_ttl_seconds": 300,
            "retry_attempts": 3,
            "retry_backoff_seconds": [
              5,
              20,
              60,
            ],
          },
        },
        "security": {
          "allow_weak_bearer_token": false,
          "auto_generate_bearer_token": false,
          "bearer_token": null,
          "bearer_token_file": "<home>/.airelays/relay-token",
          "concurrent_requests_per_ip": 50,
          "failed_auth_block_seconds": 900,
          "failed_auth_max_attempts": 8,
          "failed_auth_window_seconds": 300,
          "rate_limit_burst": 40,
          "rate_limit_per_minute": 120,
          "require_bearer_auth": true,
          "trust_x_forwarded_for": false,
          "trusted_proxies": [],
          "trusted_proxy_count": 1,
        },
        "server": {
          "host": "127.0.0.1",
          "max_connections": 512,
          "port": 8080,
          "stream_keepalive_seconds": 15,
          "websockets": true,
        },
        "uploads": {
          "max_conversation_bytes": 67108864,
          "max_expanded_bytes_per_request": 67108864,
          "max_total_upload_bytes": 268435456,
          "max_upload_bytes": 33554432,
        },
        "upstream": {
          "base_url": "https://chatgpt.com/backend-api/codex",
          "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
          "client_version": "0.171.0",
          "issuer_base_url": "https://auth.openai.com",
          "request_timeout_seconds": 120,
          "stream_idle_timeout_seconds": 600,
        },
      }
    `)
  })
})

/**
 * One case per key family: every layer that can set the key, highest priority first. The test
 * applies all layers, checks the winner, then removes the winner and checks the next one, down to
 * the default.
 */
interface Layer {
  label: string
  flags?: ConfigFlags
  env?: Record<string, string>
  toml?: string
  expected: unknown
  source: Record<string, unknown>
}

const families: { key: ConfigKeyPath; layers: Layer[]; fallback: unknown }[] = [
  {
    key: 'server.port',
    fallback: 8080,
    layers: [
      { label: 'flag', flags: { port: 1111 }, expected: 1111, source: { kind: 'flag', name: '--port' } },
      {
        label: 'new env',
        env: { AIRELAYS_PORT: '2222' },
        expected: 2222,
        source: { kind: 'env', name: 'AIRELAYS_PORT' },
      },
      {
        label: 'AIRELAY_',
        env: { AIRELAY_PORT: '3333' },
        expected: 3333,
        source: { kind: 'legacy-env', name: 'AIRELAY_PORT' },
      },
      {
        label: 'OPENAI_ENDPOINT_',
        env: { OPENAI_ENDPOINT_PORT: '4444' },
        expected: 4444,
        source: { kind: 'legacy-env', name: 'OPENAI_ENDPOINT_PORT' },
      },
      { label: 'file', toml: '[server]\nport = 5555\n', expected: 5555, source: { kind: 'file', line: 2 } },
    ],
  },
  {
    key: 'auth.storage',
    fallback: 'auto',
    layers: [
      {
        label: 'flag',
        flags: { authStorage: 'FILE' },
        expected: 'file',
        source: { kind: 'flag', name: '--auth-storage' },
      },
      {
        label: 'new env',
        env: { AIRELAYS_AUTH_STORAGE: 'keyring' },
        expected: 'keyring',
        source: { kind: 'env', name: 'AIRELAYS_AUTH_STORAGE' },
      },
      {
        label: 'AIRELAY_',
        env: { AIRELAY_AUTH_STORAGE: 'file' },
        expected: 'file',
        source: { kind: 'legacy-env', name: 'AIRELAY_AUTH_STORAGE' },
      },
      {
        label: 'OPENAI_ENDPOINT_',
        env: { OPENAI_ENDPOINT_AUTH_STORAGE: 'Keyring' },
        expected: 'keyring',
        source: { kind: 'legacy-env', name: 'OPENAI_ENDPOINT_AUTH_STORAGE' },
      },
      {
        label: 'file',
        toml: '[auth]\nstorage = "File"\n',
        expected: 'file',
        source: { kind: 'file', line: 2 },
      },
    ],
  },
  {
    key: 'upstream.base_url',
    fallback: 'https://chatgpt.com/backend-api/codex',
    layers: [
      {
        label: 'new env',
        env: { AIRELAYS_UPSTREAM_BASE_URL: 'http://127.0.0.1:1/backend-api/codex/' },
        expected: 'http://127.0.0.1:1/backend-api/codex',
        source: { kind: 'env', name: 'AIRELAYS_UPSTREAM_BASE_URL' },
      },
      {
        label: 'AIRELAY_',
        env: { AIRELAY_UPSTREAM_BASE_URL: 'http://127.0.0.1:2' },
        expected: 'http://127.0.0.1:2',
        source: { kind: 'legacy-env', name: 'AIRELAY_UPSTREAM_BASE_URL' },
      },
      {
        label: 'OPENAI_ENDPOINT_',
        env: { OPENAI_ENDPOINT_UPSTREAM_BASE_URL: 'http://127.0.0.1:3//' },
        expected: 'http://127.0.0.1:3',
        source: { kind: 'legacy-env', name: 'OPENAI_ENDPOINT_UPSTREAM_BASE_URL' },
      },
      {
        label: 'file',
        toml: '\n[upstream]\nbase_url = "https://example.test/codex/"\n',
        expected: 'https://example.test/codex',
        source: { kind: 'file', line: 3 },
      },
    ],
  },
  {
    key: 'security.require_bearer_auth',
    fallback: true,
    layers: [
      {
        label: 'flag',
        flags: { noAuth: true },
        expected: false,
        source: { kind: 'flag', name: '--no-auth' },
      },
      {
        label: 'new env',
        env: { AIRELAYS_REQUIRE_BEARER_AUTH: 'on' },
        expected: true,
        source: { kind: 'env', name: 'AIRELAYS_REQUIRE_BEARER_AUTH' },
      },
      {
        label: 'AIRELAY_',
        env: { AIRELAY_REQUIRE_BEARER_AUTH: 'no' },
        expected: false,
        source: { kind: 'legacy-env', name: 'AIRELAY_REQUIRE_BEARER_AUTH' },
      },
      {
        label: 'file',
        toml: '[security]\nrequire_bearer_auth = false\n',
        expected: false,
        source: { kind: 'file', line: 2 },
      },
    ],
  },
  {
    key: 'security.bearer_token_file',
    fallback: '<data>/relay-token',
    layers: [
      {
        label: 'flag',
        flags: { bearerTokenFile: 'flag-token' },
        expected: '<home>/flag-token',
        source: { kind: 'flag', name: '--bearer-token-file' },
      },
      {
        label: 'new env',
        env: { AIRELAYS_BEARER_TOKEN_FILE: '~/env-token' },
        expected: '<home>/env-token',
        source: { kind: 'env', name: 'AIRELAYS_BEARER_TOKEN_FILE' },
      },
      {
        label: 'AIRELAY_',
        env: { AIRELAY_BEARER_TOKEN_FILE: '/srv/legacy-token' },
        expected: '/srv/legacy-token',
        source: { kind: 'legacy-env', name: 'AIRELAY_BEARER_TOKEN_FILE' },
      },
      {
        label: 'file',
        toml: '[security]\nbearer_token_file = "~/file-token"\n',
        expected: '<home>/file-token',
        source: { kind: 'file', line: 2 },
      },
    ],
  },
  {
    key: 'providers.openai.models_cache_ttl_seconds',
    fallback: 300,
    layers: [
      {
        label: 'AIRELAYS_MODELS_',
        env: { AIRELAYS_MODELS_CACHE_TTL_SECONDS: '1' },
        expected: 1,
        source: { kind: 'env', name: 'AIRELAYS_MODELS_CACHE_TTL_SECONDS' },
      },
      {
        label: 'AIRELAYS_OPENAI_MODELS_',
        env: { AIRELAYS_OPENAI_MODELS_CACHE_TTL_SECONDS: '2.5' },
        expected: 2.5,
        source: { kind: 'env', name: 'AIRELAYS_OPENAI_MODELS_CACHE_TTL_SECONDS' },
      },
      {
        label: 'AIRELAY_MODELS_',
        env: { AIRELAY_MODELS_CACHE_TTL_SECONDS: '3' },
        expected: 3,
        source: { kind: 'legacy-env', name: 'AIRELAY_MODELS_CACHE_TTL_SECONDS' },
      },
      {
        label: 'AIRELAY_OPENAI_MODELS_',
        env: { AIRELAY_OPENAI_MODELS_CACHE_TTL_SECONDS: '0' },
        expected: 0,
        source: { kind: 'legacy-env', name: 'AIRELAY_OPENAI_MODELS_CACHE_TTL_SECONDS' },
      },
      {
        label: 'file',
        toml: '[providers.openai]\nmodels_cache_ttl_seconds = 45.5\n',
        expected: 45.5,
        source: { kind: 'file', line: 2 },
      },
    ],
  },
  {
    key: 'providers.claude.enabled',
    fallback: true,
    layers: [
      {
        label: 'AIRELAYS_ENABLE_CLAUDE',
        env: { AIRELAYS_ENABLE_CLAUDE: 'yes' },
        expected: true,
        source: { kind: 'env', name: 'AIRELAYS_ENABLE_CLAUDE' },
      },
      {
        label: 'AIRELAYS_ENABLE_CLAUDE_EXPERIMENTAL',
        env: { AIRELAYS_ENABLE_CLAUDE_EXPERIMENTAL: '0' },
        expected: false,
        source: { kind: 'legacy-env', name: 'AIRELAYS_ENABLE_CLAUDE_EXPERIMENTAL' },
      },
      {
        label: 'AIRELAY_ENABLE_CLAUDE_EXPERIMENTAL',
        env: { AIRELAY_ENABLE_CLAUDE_EXPERIMENTAL: 'true' },
        expected: true,
        source: { kind: 'legacy-env', name: 'AIRELAY_ENABLE_CLAUDE_EXPERIMENTAL' },
      },
      {
        label: 'file',
        toml: '[providers.claude]\nenabled = false\n',
        expected: false,
        source: { kind: 'file', line: 2 },
      },
    ],
  },
  {
    key: 'logging.retention_days',
    fallback: 30,
    layers: [
      {
        label: 'new env',
        env: { AIRELAYS_LOG_RETENTION_DAYS: '7' },
        expected: 7,
        source: { kind: 'env', name: 'AIRELAYS_LOG_RETENTION_DAYS' },
      },
      {
        label: 'file',
        toml: '[logging]\nretention_days = 0\n',
        expected: 0,
        source: { kind: 'file', line: 2 },
      },
    ],
  },
]

describe('precedence: flag > AIRELAYS_* env > legacy env > config.toml > default', () => {
  for (const family of families) {
    it(`${family.key}: ${family.layers.map((l) => l.label).join(' > ')} > default`, async () => {
      const configPath = join(home.dir, CONFIG_RELATIVE)
      for (let first = 0; first <= family.layers.length; first++) {
        const active = family.layers.slice(first)
        const flags = Object.assign({}, ...active.map((l) => l.flags ?? {}))
        const env = Object.assign({}, ...active.map((l) => l.env ?? {}))
        const toml = active.find((l) => l.toml)?.toml ?? ''
        await home.write(CONFIG_RELATIVE, toml)
        const result = await load({ flags, env })
        expect(result.errors).toEqual([])
        const winner = active[0]
        const shown = JSON.parse(
          JSON.stringify(resolvedValue(result, family.key))
            .replaceAll(join(home.dir, '.airelays'), '<data>')
            .replaceAll(home.dir, '<home>'),
        )
        if (!winner) {
          expect(shown).toEqual(family.fallback)
          expect(result.sources[family.key]).toEqual({ kind: 'default' })
        } else {
          expect(shown, winner.label).toEqual(winner.expected)
          const expectedSource =
            winner.source.kind === 'file' ? { ...winner.source, path: configPath } : winner.source
          expect(result.sources[family.key], winner.label).toEqual(expectedSource)
        }
      }
    })
  }

  it('treats empty and blank environment variables as unset', async () => {
    await home.write(CONFIG_RELATIVE, '[server]\nport = 9000\nhost = "0.0.0.0"\n')
    const result = await load({
      env: { AIRELAYS_PORT: '', AIRELAY_PORT: '   ', OPENAI_ENDPOINT_PORT: '7000', AIRELAYS_HOST: '' },
    })
    expect(result.errors).toEqual([])
    expect(result.config.server).toEqual({
      host: '0.0.0.0',
      port: 7000,
      max_connections: 512,
      stream_keepalive_seconds: 15,
      websockets: true,
    })
    expect(result.sources['server.port']).toEqual({ kind: 'legacy-env', name: 'OPENAI_ENDPOINT_PORT' })
  })

  it('--no-auth turns off both bearer auth and token auto-generation; noAuth=false is "not given"', async () => {
    const env = { AIRELAYS_AUTO_GENERATE_BEARER_TOKEN: 'true' }
    const off = await load({ flags: { noAuth: true }, env })
    expect(off.config.security.require_bearer_auth).toBe(false)
    expect(off.config.security.auto_generate_bearer_token).toBe(false)
    expect(off.sources['security.auto_generate_bearer_token']).toEqual({ kind: 'flag', name: '--no-auth' })
    const notGiven = await load({ flags: { noAuth: false }, env })
    expect(notGiven.config.security.require_bearer_auth).toBe(true)
    expect(notGiven.config.security.auto_generate_bearer_token).toBe(true)
  })

  it('an invalid winning value uses the default, not a lower layer, and says so', async () => {
    await home.write(CONFIG_RELATIVE, '[server]\nport = 9000\n')
    const result = await load({ env: { AIRELAYS_PORT: '80a' } })
    expect(result.config.server.port).toBe(8080)
    expect(result.sources['server.port']).toEqual({ kind: 'default' })
    expect(result.errors).toEqual([
      {
        code: 'config_invalid_value',
        key: 'server.port',
        source: { kind: 'env', name: 'AIRELAYS_PORT' },
        message:
          'Invalid [server] port value "80a" from AIRELAYS_PORT: expected an integer from 1 to 65535. Using the default (8080).',
      },
    ])
  })

  it('validates flags like environment values and names the flag', async () => {
    const result = await load({ flags: { port: '0', host: '', authStorage: 'vault', logsDir: ' ' } })
    expect(result.config.server).toEqual({
      host: '127.0.0.1',
      port: 8080,
      max_connections: 512,
      stream_keepalive_seconds: 15,
      websockets: true,
    })
    expect(result.config.auth.storage).toBe('auto')
    expect(result.errors.map((e) => [e.key, e.source, e.message])).toEqual([
      [
        'server.host',
        { kind: 'flag', name: '--host' },
        'Invalid [server] host value "" from --host: expected a non-empty string. Using the default (127.0.0.1).',
      ],
      [
        'server.port',
        { kind: 'flag', name: '--port' },
        'Invalid [server] port value "0" from --port: expected an integer from 1 to 65535. Using the default (8080).',
      ],
      [
        'paths.logs_dir',
        { kind: 'flag', name: '--logs-dir' },
        'Invalid [paths] logs_dir value " " from --logs-dir: expected a non-empty path (~ is the home directory). Using the default (<data_dir>/logs).',
      ],
      [
        'auth.storage',
        { kind: 'flag', name: '--auth-storage' },
        'Invalid [auth] storage value "vault" from --auth-storage: expected one of auto, file, keyring. Using the default (auto).',
      ],
    ])
  })
})

describe('value parsing', () => {
  it.each([
    ['1', true],
    ['true', true],
    ['YES', true],
    ['On', true],
    [' tRuE ', true],
    ['0', false],
    ['false', false],
    ['No', false],
    ['OFF', false],
  ])('boolean spelling %j -> %s', async (text, expected) => {
    const result = await load({ env: { AIRELAYS_BROWSER_OPEN: text, AIRELAYS_TRUST_X_FORWARDED_FOR: text } })
    expect(result.errors).toEqual([])
    expect(result.config.auth.browser_open).toBe(expected)
    expect(result.config.security.trust_x_forwarded_for).toBe(expected)
  })

  it.each(['maybe', '2', 'enabled', 'y'])(
    'rejects boolean spelling %j with the accepted words',
    async (text) => {
      const result = await load({ env: { AIRELAYS_REQUIRE_BEARER_AUTH: text } })
      expect(result.config.security.require_bearer_auth).toBe(true)
      expect(result.errors).toHaveLength(1)
      expect(result.errors[0]?.message).toBe(
        `Invalid [security] require_bearer_auth value ${JSON.stringify(text)} from AIRELAYS_REQUIRE_BEARER_AUTH: expected one of 1, true, yes, on, 0, false, no, off (any case). Using the default (true).`,
      )
    },
  )

  it('reads CSV lists from env and the file (trimmed, empty entries dropped)', async () => {
    await home.write(CONFIG_RELATIVE, '[providers.claude]\nmodels = "claude:a, claude:b"\n')
    const result = await load({ env: { AIRELAYS_OPENAI_EXTRA_MODELS: ' gpt-x, gpt-y ,,gpt-z ' } })
    expect(result.errors).toEqual([])
    expect(result.config.providers.openai.extra_models).toEqual(['gpt-x', 'gpt-y', 'gpt-z'])
    expect(result.config.providers.claude.models).toEqual(['claude:a', 'claude:b'])
    const legacy = await load({ env: { AIRELAY_CLAUDE_MODELS: 'claude:c' } })
    expect(legacy.config.providers.claude.models).toEqual(['claude:c'])
  })

  it('extra_models defaults to none, and an empty list means none, without a warning', async () => {
    expect((await load()).config.providers.openai.extra_models).toEqual([])
    await home.write(CONFIG_RELATIVE, '[providers.openai]\nextra_models = []\n')
    const fromFile = await load()
    expect(fromFile.config.providers.openai.extra_models).toEqual([])
    expect(fromFile.warnings).toEqual([])
    await home.write(CONFIG_RELATIVE, '')
    const fromEnv = await load({ env: { AIRELAYS_OPENAI_EXTRA_MODELS: 'gpt-x, gpt-y' } })
    expect(fromEnv.config.providers.openai.extra_models).toEqual(['gpt-x', 'gpt-y'])
  })

  it('reads the client version, keep-alive interval and upstream idle budget', async () => {
    const defaults = await load()
    expect(defaults.config.upstream.client_version).toBe('0.171.0')
    expect(defaults.sources['upstream.client_version']).toEqual({ kind: 'default' })
    expect(defaults.config.server.stream_keepalive_seconds).toBe(15)
    expect(defaults.config.upstream.stream_idle_timeout_seconds).toBe(600)
    const set = await load({
      env: {
        AIRELAYS_CLIENT_VERSION: '0.170.1',
        AIRELAYS_STREAM_KEEPALIVE_SECONDS: '5',
        AIRELAYS_STREAM_IDLE_TIMEOUT_SECONDS: '1800',
      },
    })
    expect(set.config.upstream.client_version).toBe('0.170.1')
    expect(set.config.server.stream_keepalive_seconds).toBe(5)
    expect(set.config.upstream.stream_idle_timeout_seconds).toBe(1800)
    const bad = await load({ env: { AIRELAYS_STREAM_KEEPALIVE_SECONDS: '0' } })
    expect(bad.config.server.stream_keepalive_seconds).toBe(15)
    expect(bad.errors.map((e) => e.key)).toEqual(['server.stream_keepalive_seconds'])
  })

  it('reads retry_backoff_seconds from CSV or a TOML array', async () => {
    const fromEnv = await load({ env: { AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS: '1, 2.5,10' } })
    expect(fromEnv.config.providers.openai.retry_backoff_seconds).toEqual([1, 2.5, 10])
    await home.write(CONFIG_RELATIVE, '[providers.openai]\nretry_backoff_seconds = [0, 0.5, 3]\n')
    const fromArray = await load()
    expect(fromArray.config.providers.openai.retry_backoff_seconds).toEqual([0, 0.5, 3])
    await home.write(CONFIG_RELATIVE, '[providers.openai]\nretry_backoff_seconds = "4,8"\n')
    const fromCsv = await load()
    expect(fromCsv.config.providers.openai.retry_backoff_seconds).toEqual([4, 8])
    expect([fromEnv, fromArray, fromCsv].flatMap((r) => r.errors)).toEqual([])
  })

  it.each(['5,x,60', '5,-1', 'inf', '1,nan', '1e999', ''])(
    'a bad retry_backoff_seconds entry in %j rejects the whole value (error + default)',
    async (text) => {
      const result = await load({ env: { AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS: text || ' , ' } })
      expect(result.config.providers.openai.retry_backoff_seconds).toEqual([5, 20, 60])
      expect(result.errors.map((e) => [e.code, e.key])).toEqual([
        ['config_invalid_value', 'providers.openai.retry_backoff_seconds'],
      ])
      expect(result.errors[0]?.message).toContain(
        'expected a non-empty comma-separated list of finite numbers >= 0, e.g. 5,20,60. Using the default (5, 20, 60).',
      )
    },
  )

  it.each(['[1, -2]', '[1, nan]', '[inf]', '[]', '[1, "x"]', '[true]'])(
    'a bad retry_backoff_seconds array %s in the file is an error with its line',
    async (array) => {
      const file = await home.write(
        CONFIG_RELATIVE,
        `[providers.openai]\nretry_attempts = 2\nretry_backoff_seconds = ${array}\n`,
      )
      const result = await load()
      expect(result.config.providers.openai.retry_backoff_seconds).toEqual([5, 20, 60])
      expect(result.config.providers.openai.retry_attempts).toBe(2)
      expect(result.errors).toHaveLength(1)
      expect(result.errors[0]).toMatchObject({
        code: 'config_invalid_value',
        key: 'providers.openai.retry_backoff_seconds',
        source: { kind: 'file', path: file, line: 3 },
      })
      expect(result.errors[0]?.message).toMatch(
        new RegExp(
          `^Invalid \\[providers\\.openai\\] retry_backoff_seconds value .* in ${file}:3: expected a non-empty array`,
        ),
      )
    },
  )

  it('clamps negative retry_attempts to 0 with a warning', async () => {
    const fromEnv = await load({ env: { AIRELAYS_OPENAI_RETRY_ATTEMPTS: '-4' } })
    expect(fromEnv.config.providers.openai.retry_attempts).toBe(0)
    expect(fromEnv.errors).toEqual([])
    expect(fromEnv.warnings.map((w) => [w.code, w.message])).toEqual([
      [
        'config_value_clamped',
        '[providers.openai] retry_attempts value "-4" from AIRELAYS_OPENAI_RETRY_ATTEMPTS is below the minimum; using 0.',
      ],
    ])
    await home.write(CONFIG_RELATIVE, '[providers.openai]\nretry_attempts = -1\n')
    const fromFile = await load()
    expect(fromFile.config.providers.openai.retry_attempts).toBe(0)
    expect(fromFile.sources['providers.openai.retry_attempts']).toMatchObject({ kind: 'file', line: 2 })
    expect(fromFile.warnings.map((w) => w.code)).toEqual(['config_value_clamped'])
  })

  it.each([
    ['Round-Robin', 'round_robin'],
    [' ORDERED ', 'ordered'],
    ['round_robin', 'round_robin'],
    ['Balanced', 'balanced'],
  ])('normalises balance %j to %s', async (text, expected) => {
    const result = await load({ env: { AIRELAYS_OPENAI_BALANCE: text } })
    expect(result.errors).toEqual([])
    expect(result.config.providers.openai.balance).toBe(expected)
  })

  it('rejects a misspelt balance with the reference wording, then uses balanced', async () => {
    const file = await home.write(CONFIG_RELATIVE, '[providers.openai]\nbalance = "fastest"\n')
    const result = await load()
    expect(result.config.providers.openai.balance).toBe('balanced')
    expect(result.errors).toEqual([
      {
        code: 'config_invalid_value',
        key: 'providers.openai.balance',
        source: { kind: 'file', path: file, line: 2 },
        message: `Invalid [providers.openai] balance value "fastest" (a string) in ${file}:2: expected one of balanced, round_robin, ordered. Using the default (balanced).`,
      },
    ])
  })

  it('takes the relay token only from the environment, trimmed, never from the file', async () => {
    const file = await home.write(CONFIG_RELATIVE, '[security]\nbearer_token = "from-file"\n')
    const none = await load()
    expect(none.config.security.bearer_token).toBeNull()
    expect(none.warnings).toEqual([
      {
        code: 'config_ignored_key',
        key: 'security.bearer_token',
        source: { kind: 'file', path: file, line: 2 },
        message: `[security] bearer_token in ${file}:2 is ignored: it is read only from AIRELAYS_BEARER_TOKEN.`,
      },
    ])
    const current = await load({
      env: { AIRELAYS_BEARER_TOKEN: ' tok-new \n', AIRELAY_BEARER_TOKEN: 'tok-old' },
    })
    expect(current.config.security.bearer_token).toBe('tok-new')
    expect(current.sources['security.bearer_token']).toEqual({ kind: 'env', name: 'AIRELAYS_BEARER_TOKEN' })
    const legacy = await load({ env: { AIRELAY_BEARER_TOKEN: 'tok-old' } })
    expect(legacy.config.security.bearer_token).toBe('tok-old')
    expect(legacy.sources['security.bearer_token']).toEqual({
      kind: 'legacy-env',
      name: 'AIRELAY_BEARER_TOKEN',
    })
  })

  it('expands ~ and resolves relative paths against cwd', async () => {
    await home.write(CONFIG_RELATIVE, '[paths]\ndata_dir = "~/state"\nlogs_dir = "rel/logs"\n')
    const result = await load({ cwd: join(home.dir, 'work') })
    expect(home.redact(result.config.paths)).toEqual({
      data_dir: '<home>/state',
      logs_dir: '<home>/work/rel/logs',
      auth_file: '<home>/state/auth.json',
      uploads_dir: '<home>/state/uploads',
      tmp_dir: '<home>/state/tmp',
      accounts_dir: '<home>/state/accounts',
    })
  })
})

describe('config file problems', () => {
  it('reports malformed TOML with file and line, ignores the file and still applies env', async () => {
    const file = await home.write(CONFIG_RELATIVE, '[server]\nport = 9000\nhost = \n')
    const result = await load({ env: { AIRELAYS_HOST: '127.0.0.2' } })
    expect(result.config.config_file.exists).toBe(true)
    expect(result.config.server).toEqual({
      host: '127.0.0.2',
      port: 8080,
      max_connections: 512,
      stream_keepalive_seconds: 15,
      websockets: true,
    })
    expect(result.errors).toEqual([
      {
        code: 'config_parse_error',
        key: null,
        source: { kind: 'file', path: file, line: 3 },
        message: `Cannot parse ${file}:3:8 as TOML: invalid value. None of its settings apply until it is fixed.`,
      },
    ])
  })

  it('reports a duplicate table as a parse error on the redefining line', async () => {
    const file = await home.write(CONFIG_RELATIVE, '[server]\nport = 9000\n\n[server]\nhost = "x"\n')
    const result = await load()
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0]?.source).toEqual({ kind: 'file', path: file, line: 4 })
  })

  it('reports an unreadable config path and keeps going', async () => {
    const dir = await home.mkdir(CONFIG_RELATIVE)
    const result = await load()
    expect(result.config.config_file).toEqual({ path: dir, exists: true, source: { kind: 'default' } })
    expect(result.errors.map((e) => [e.code, e.source])).toEqual([
      ['config_read_failed', { kind: 'file', path: dir, line: null }],
    ])
    expect(result.errors[0]?.message).toBe(
      `Cannot read the config file ${dir} (EISDIR). Its settings do not apply.`,
    )
    expect(result.config.server.port).toBe(8080)
  })

  it('warns about unknown sections and keys with their line, with a hint when one is close', async () => {
    const file = await home.write(
      CONFIG_RELATIVE,
      [
        'host = "0.0.0.0"', // 1: belongs in [server]
        '[server]', // 2
        'prot = 9000', // 3: typo
        '[paths]', // 4
        'codex_home = "~/.codex"', // 5: legacy, silently ignored
        '[providers.openai]', // 6
        'model = "x"', // 7
        '[providers.gemini]', // 8
        'enabled = true', // 9
        '[telemetry]', // 10
        'on = true', // 11
      ].join('\n'),
    )
    const result = await load()
    expect(result.errors).toEqual([])
    expect(
      result.warnings.map((w) => [w.key, w.source.kind === 'file' ? w.source.line : null, w.message]),
    ).toEqual([
      ['host', 1, `Unknown top-level key host in ${file}:1; it is ignored. Did you mean [server] host?`],
      ['server.prot', 3, `Unknown key [server] prot in ${file}:3; it is ignored. Did you mean port?`],
      ['providers.openai.model', 7, `Unknown key [providers.openai] model in ${file}:7; it is ignored.`],
      ['providers.gemini', 8, `Unknown key [providers] gemini in ${file}:8; it is ignored.`],
      ['telemetry', 10, `Unknown section [telemetry] in ${file}:10; it is ignored.`],
    ])
    expect(result.warnings.every((w) => w.code === 'config_unknown_key')).toBe(true)
  })

  it.each([
    [
      'port = "8080"',
      'server.port',
      'Invalid [server] port value "8080" (a string)',
      'an integer from 1 to 65535',
    ],
    [
      'port = 70000',
      'server.port',
      'Invalid [server] port value 70000 (a number)',
      'an integer from 1 to 65535',
    ],
    [
      'port = 80.5',
      'server.port',
      'Invalid [server] port value 80.5 (a number)',
      'an integer from 1 to 65535',
    ],
    ['host = ""', 'server.host', 'Invalid [server] host value "" (a string)', 'a non-empty string'],
    ['host = 127', 'server.host', 'Invalid [server] host value 127 (a number)', 'a non-empty string'],
  ])(
    'rejects [server] %s naming key, file, line and the accepted values',
    async (line, key, start, accepted) => {
      const file = await home.write(CONFIG_RELATIVE, `# comment\n[server]\n${line}\n`)
      const result = await load()
      expect(result.errors).toHaveLength(1)
      expect(result.errors[0]).toMatchObject({
        code: 'config_invalid_value',
        key,
        source: { kind: 'file', path: file, line: 3 },
      })
      expect(result.errors[0]?.message).toBe(
        `${start} in ${file}:3: expected ${accepted}. Using the default (${key === 'server.port' ? 8080 : '127.0.0.1'}).`,
      )
    },
  )

  it.each([
    ['auth', 'browser_open = "yes"', 'true or false (TOML booleans, unquoted)'],
    ['auth', 'storage = "cloud"', 'one of auto, file, keyring'],
    ['auth', 'login_timeout_seconds = 0', 'an integer of 1 or more'],
    ['upstream', 'base_url = "ftp://example.test"', 'an http:// or https:// URL'],
    ['upstream', 'issuer_base_url = "not a url"', 'an http:// or https:// URL'],
    ['upstream', 'request_timeout_seconds = 0', 'a number greater than 0'],
    ['upstream', 'request_timeout_seconds = inf', 'a number greater than 0'],
    ['security', 'rate_limit_burst = -1', 'an integer of 1 or more'],
    ['uploads', 'max_upload_bytes = 1.5', 'an integer of 1 or more'],
    ['logging', 'retention_days = -1', 'an integer of 0 or more'],
    ['providers.openai', 'extra_models = [1, 2]', 'an array of strings or a comma-separated string'],
    ['providers.openai', 'models_cache_ttl_seconds = -5', 'a number of 0 or more'],
    ['providers.claude', 'bin = ["claude"]', 'a non-empty string'],
    ['paths', 'data_dir = 1979-05-27', 'a non-empty path (~ is the home directory)'],
  ])('rejects [%s] %s with the accepted values', async (section, line, accepted) => {
    const file = await home.write(CONFIG_RELATIVE, `[${section}]\n${line}\n`)
    const result = await load()
    expect(result.errors).toHaveLength(1)
    const error = result.errors[0]
    expect(error?.source).toEqual({ kind: 'file', path: file, line: 2 })
    expect(error?.message).toContain(`in ${file}:2: expected ${accepted}. Using the default (`)
    const key = `${section}.${line.split(' ')[0]}` as ConfigKeyPath
    expect(error?.key).toBe(key)
    expect(result.sources[key]).toEqual({ kind: 'default' })
  })

  it('rejects a section that is not a table', async () => {
    const file = await home.write(CONFIG_RELATIVE, 'server = 5\n[auth]\nstorage = "file"\n')
    const result = await load()
    expect(result.config.auth.storage).toBe('file')
    expect(result.errors).toEqual([
      {
        code: 'config_invalid_value',
        key: 'server',
        source: { kind: 'file', path: file, line: 1 },
        message: `Invalid [server] section in ${file}:1: expected a table, got 5 (a number). Its settings use their defaults.`,
      },
    ])
  })
})

describe('paths', () => {
  it('uses the new config path when it exists, else the legacy one, else the new one', async () => {
    const fresh = await load()
    expect(fresh.config.config_file).toEqual({
      path: join(home.dir, '.config/airelays/config.toml'),
      exists: false,
      source: { kind: 'default' },
    })
    const legacy = await home.write('.config/airelay/config.toml', '[server]\nport = 1001\n')
    const legacyOnly = await load()
    expect(legacyOnly.config.config_file).toEqual({ path: legacy, exists: true, source: { kind: 'default' } })
    expect(legacyOnly.config.server.port).toBe(1001)
    await home.write(CONFIG_RELATIVE, '[server]\nport = 1002\n')
    const both = await load()
    expect(both.config.config_file.path).toBe(join(home.dir, CONFIG_RELATIVE))
    expect(both.config.server.port).toBe(1002)
  })

  it('honours XDG_CONFIG_HOME (absolute only) for the new config path', async () => {
    const xdgFile = await home.write('xdg/airelays/config.toml', '[server]\nport = 1003\n')
    const result = await load({ env: { XDG_CONFIG_HOME: join(home.dir, 'xdg') } })
    expect(result.config.config_file).toEqual({ path: xdgFile, exists: true, source: { kind: 'default' } })
    expect(result.config.server.port).toBe(1003)
    const missing = await load({ env: { XDG_CONFIG_HOME: join(home.dir, 'elsewhere') } })
    expect(missing.config.config_file.path).toBe(join(home.dir, 'elsewhere/airelays/config.toml'))
    const relative = await load({ env: { XDG_CONFIG_HOME: 'xdg' } })
    expect(relative.config.config_file.path).toBe(join(home.dir, CONFIG_RELATIVE))
    // The legacy singular file is still found when the XDG location has no file.
    const legacy = await home.write('.config/airelay/config.toml', '')
    const fallback = await load({ env: { XDG_CONFIG_HOME: join(home.dir, 'elsewhere') } })
    expect(fallback.config.config_file.path).toBe(legacy)
  })

  it('takes the config path from --config > AIRELAYS_CONFIG > AIRELAY_CONFIG > OPENAI_ENDPOINT_CONFIG', async () => {
    const env = { AIRELAYS_CONFIG: '~/a.toml', AIRELAY_CONFIG: 'b.toml', OPENAI_ENDPOINT_CONFIG: '/c.toml' }
    const flag = await load({ flags: { config: 'flag.toml' }, env })
    expect(flag.config.config_file).toEqual({
      path: join(home.dir, 'flag.toml'),
      exists: false,
      source: { kind: 'flag', name: '--config' },
    })
    const fromEnv = await load({ env })
    expect(fromEnv.config.config_file.path).toBe(join(home.dir, 'a.toml'))
    expect(fromEnv.config.config_file.source).toEqual({ kind: 'env', name: 'AIRELAYS_CONFIG' })
    const legacy = await load({ env: { ...env, AIRELAYS_CONFIG: '' } })
    expect(legacy.config.config_file.source).toEqual({ kind: 'legacy-env', name: 'AIRELAY_CONFIG' })
    const oldest = await load({ env: { OPENAI_ENDPOINT_CONFIG: '/c.toml' } })
    expect(oldest.config.config_file.path).toBe('/c.toml')
  })

  it('reuses a legacy ~/.airelay data dir in place, without creating or copying anything', async () => {
    const legacy = await home.mkdir('.airelay')
    const result = await load()
    expect(result.config.paths.data_dir).toBe(legacy)
    expect(result.config.paths.logs_dir).toBe(join(legacy, 'logs'))
    expect(result.config.paths.auth_file).toBe(join(legacy, 'auth.json'))
    expect(result.config.security.bearer_token_file).toBe(join(legacy, 'relay-token'))
    expect(result.config.providers.claude.oauth_token_file).toBe(join(legacy, 'claude-token'))
    expect((await readdir(home.dir)).sort()).toEqual(['.airelay'])
    await home.mkdir('.airelays')
    const both = await load()
    expect(both.config.paths.data_dir).toBe(join(home.dir, '.airelays'))
  })
})

describe('--data-dir retargeting', () => {
  // What `airelays init` writes: every path spelled out at its data-dir default.
  async function writeInitFile(extra = ''): Promise<void> {
    const data = join(home.dir, '.airelays')
    await home.write(
      CONFIG_RELATIVE,
      [
        '[paths]',
        `data_dir = "${data}"`,
        `logs_dir = "${data}/logs"`,
        '[security]',
        `bearer_token_file = "${data}/relay-token"`,
        '[providers.claude]',
        `oauth_token_file = "${data}/claude-token"`,
        extra,
      ].join('\n'),
    )
  }

  it('moves logs, relay token and Claude token that are still at their data-dir defaults', async () => {
    await writeInitFile()
    const result = await load({ flags: { dataDir: '/srv/relay' } })
    expect(result.errors).toEqual([])
    expect(result.config.paths).toEqual({
      data_dir: '/srv/relay',
      logs_dir: '/srv/relay/logs',
      auth_file: '/srv/relay/auth.json',
      uploads_dir: '/srv/relay/uploads',
      tmp_dir: '/srv/relay/tmp',
      accounts_dir: '/srv/relay/accounts',
    })
    expect(result.config.security.bearer_token_file).toBe('/srv/relay/relay-token')
    expect(result.config.providers.claude.oauth_token_file).toBe('/srv/relay/claude-token')
    expect(result.sources['paths.data_dir']).toEqual({ kind: 'flag', name: '--data-dir' })
    expect(result.sources['paths.logs_dir']).toEqual({ kind: 'default' })
  })

  it('retargets for any data_dir source (env, or the file data_dir itself)', async () => {
    await writeInitFile()
    const fromEnv = await load({ env: { AIRELAY_DATA_DIR: '/srv/env' } })
    expect(fromEnv.config.paths.logs_dir).toBe('/srv/env/logs')
    expect(fromEnv.config.security.bearer_token_file).toBe('/srv/env/relay-token')
    const data = join(home.dir, '.airelays')
    await home.write(
      CONFIG_RELATIVE,
      `[paths]\ndata_dir = "/srv/edited"\nlogs_dir = "${data}/logs"\n[security]\nbearer_token_file = "${data}/relay-token"\n`,
    )
    const edited = await load()
    expect(edited.config.paths.logs_dir).toBe('/srv/edited/logs')
    expect(edited.config.security.bearer_token_file).toBe('/srv/edited/relay-token')
  })

  it('keeps paths the user moved away from the data dir, and explicit flags/env', async () => {
    await writeInitFile('')
    await home.write(
      CONFIG_RELATIVE,
      `[paths]\nlogs_dir = "/var/log/airelays"\n[security]\nbearer_token_file = "${join(home.dir, '.airelays')}/relay-token"\n`,
    )
    const result = await load({ flags: { dataDir: '/srv/relay', bearerTokenFile: '/etc/relay-token' } })
    expect(result.config.paths.logs_dir).toBe('/var/log/airelays')
    expect(result.sources['paths.logs_dir']).toMatchObject({ kind: 'file', line: 2 })
    expect(result.config.security.bearer_token_file).toBe('/etc/relay-token')
    const envLogs = await load({
      flags: { dataDir: '/srv/relay' },
      env: { AIRELAYS_LOGS_DIR: join(home.dir, '.airelays/logs') },
    })
    expect(envLogs.config.paths.logs_dir).toBe(join(home.dir, '.airelays/logs'))
  })
})

describe('hardening limits (issue 26)', () => {
  it('reads the proxy list, the limits and the weak-token opt-in from file, env and flag', async () => {
    await home.write(
      CONFIG_RELATIVE,
      '[server]\nmax_connections = 64\n[security]\ntrust_x_forwarded_for = true\ntrusted_proxies = ["10.0.0.0/8", "127.0.0.1"]\n[uploads]\nmax_expanded_bytes_per_request = 1000\nmax_conversation_bytes = 2000\n[logging]\nmax_request_log_bytes = 4096\nmax_total_bytes = 0\n',
    )
    const result = await load({ env: { AIRELAYS_TRUSTED_PROXY_COUNT: '2' } })
    expect(result.errors).toEqual([])
    expect(result.config.server.max_connections).toBe(64)
    expect(result.config.security.trusted_proxies).toEqual(['10.0.0.0/8', '127.0.0.1'])
    expect(result.config.security.trusted_proxy_count).toBe(2)
    expect(result.config.uploads).toMatchObject({
      max_expanded_bytes_per_request: 1000,
      max_conversation_bytes: 2000,
    })
    expect(result.config.logging).toMatchObject({ max_request_log_bytes: 4096, max_total_bytes: 0 })
    expect(result.config.security.allow_weak_bearer_token).toBe(false)

    const optedIn = await load({ flags: { allowWeakToken: true } })
    expect(optedIn.config.security.allow_weak_bearer_token).toBe(true)
    expect(optedIn.sources['security.allow_weak_bearer_token']).toEqual({
      kind: 'flag',
      name: '--allow-weak-token',
    })
    const fromEnv = await load({ env: { AIRELAYS_ALLOW_WEAK_BEARER_TOKEN: 'yes' } })
    expect(fromEnv.config.security.allow_weak_bearer_token).toBe(true)
  })

  it('refuses a zero connection cap and a zero per-request log cap, keeping the safe defaults', async () => {
    const result = await load({ env: { AIRELAYS_MAX_CONNECTIONS: '0', AIRELAYS_LOG_MAX_REQUEST_BYTES: '0' } })
    expect(result.errors.map((e) => e.key).sort()).toEqual([
      'logging.max_request_log_bytes',
      'server.max_connections',
    ])
    expect(result.config.server.max_connections).toBe(512)
    expect(result.config.logging.max_request_log_bytes).toBe(1_048_576)
  })
})
