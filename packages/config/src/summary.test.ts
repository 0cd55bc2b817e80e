import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTestHome, type TestHome } from './_internal/test-home'
import { loadConfig } from './load'
import { settingsSummary } from './summary'

let home: TestHome
beforeEach(async () => {
  home = await createTestHome()
})
afterEach(async () => {
  await home.remove()
})

describe('settingsSummary', () => {
  it('has the reference `relay` shape for the defaults', async () => {
    const { config } = await loadConfig({ homeDir: home.dir, cwd: home.dir, env: {} })
    expect(home.redact(settingsSummary(config))).toMatchInlineSnapshot(`
      {
        "app_name": "AIRelays",
        "auth_file": "<home>/.airelays/auth.json",
        "auth_storage_mode": "auto",
        "auto_generate_bearer_token": false,
        "bearer_token_file": "<home>/.airelays/relay-token",
        "bearer_token_fingerprint": null,
        "bearer_token_present": false,
        "bearer_token_source": null,
        "browser_open": false,
        "client_base_url": "http://127.0.0.1:8080/v1",
        "concurrent_requests_per_ip": 50,
        "config_exists": false,
        "config_path": "<home>/.config/airelays/config.toml",
        "data_dir": "<home>/.airelays",
        "failed_auth_block_seconds": 900,
        "failed_auth_max_attempts": 8,
        "failed_auth_window_seconds": 300,
        "host": "127.0.0.1",
        "logs_dir": "<home>/.airelays/logs",
        "max_total_upload_bytes": 268435456,
        "max_upload_bytes": 33554432,
        "port": 8080,
        "providers": {
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
            "oauth_token_fingerprint": null,
            "oauth_token_source": "none",
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
        "rate_limit_burst": 40,
        "rate_limit_per_minute": 120,
        "require_bearer_auth": true,
        "trust_x_forwarded_for": false,
      }
    `)
  })

  it('fingerprints an environment token (sha256, 12 hex) and never includes it', async () => {
    const token = 'canary-relay-token-abcdef'
    const { config } = await loadConfig({
      homeDir: home.dir,
      cwd: home.dir,
      env: { AIRELAYS_BEARER_TOKEN: token },
    })
    const summary = settingsSummary(config)
    expect(summary.bearer_token_present).toBe(true)
    expect(summary.bearer_token_source).toBe('env')
    expect(summary.bearer_token_fingerprint).toBe(
      createHash('sha256').update(token).digest('hex').slice(0, 12),
    )
    expect(JSON.stringify(summary)).not.toContain(token)
  })

  it('takes token facts from extras and brackets IPv6 hosts in client_base_url', async () => {
    const { config } = await loadConfig({
      homeDir: home.dir,
      cwd: home.dir,
      env: { AIRELAYS_HOST: '::1', AIRELAYS_PORT: '9000', AIRELAYS_BEARER_TOKEN: 'env-token' },
    })
    const summary = settingsSummary(config, {
      bearerToken: { present: true, source: 'file', fingerprint: '0123456789ab' },
      claudeOauthToken: { source: 'file', fingerprint: 'ba9876543210' },
    })
    expect(summary.client_base_url).toBe('http://[::1]:9000/v1')
    expect(summary.bearer_token_source).toBe('file')
    expect(summary.bearer_token_fingerprint).toBe('0123456789ab')
    expect(summary.providers.claude.oauth_token_source).toBe('file')
    expect(summary.providers.claude.oauth_token_fingerprint).toBe('ba9876543210')
    const named = await loadConfig({ homeDir: home.dir, cwd: home.dir, env: { AIRELAYS_HOST: 'localhost' } })
    expect(settingsSummary(named.config).client_base_url).toBe('http://localhost:8080/v1')
  })
})
