import type { AuthStore, RelayTokenInfo } from '@airelays/auth-store'
import { accountLabel, credentialStoreFor, DEFAULT_SLOT } from '@airelays/auth-store'
import type { ConfigFlags, LoadConfigResult, ResolvedConfig } from '@airelays/config'
import type { UpstreamClient } from '@airelays/upstream-client'
import { createUpstreamClient, isUpstreamError } from '@airelays/upstream-client'
import { loadAccounts } from '../_internal/accounts'
import { ANY_CLIENT_VERSION, catalogSlugs, RAISE_CLIENT_VERSION_STEP } from '../_internal/catalog-gate'
import { anthropicStatus, claudeRouteText } from '../_internal/claude-models'
import { loginHint } from '../_internal/client'
import { clientVersionFor } from '../_internal/client-version'
import { authStoreFor, type LoginState, readLoginState } from '../_internal/login-state'
import { formatField, printJson, type Terminal } from '../_internal/output'
import { readConfiguredToken } from '../_internal/relay-token'
import { loadSettings } from '../_internal/settings'

/** Options of `airelays doctor`. */
export interface DoctorOptions {
  flags: ConfigFlags
  skipResponse: boolean
  json: boolean
}

/** Outcome of one check. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip'

/** One doctor check, as in the reference. */
export interface DoctorCheck {
  name: string
  status: CheckStatus
  message: string
  next_steps?: string[]
  data?: Record<string, unknown>
}

/** `airelays doctor --json`. */
export interface DoctorPayload {
  /** No check failed (warnings do not fail the run). */
  ok: boolean
  summary: { passed: number; warnings: number; failed: number; skipped: number }
  checks: DoctorCheck[]
  next_steps: string[]
}

/** Longest wait for the test response, in ms (the request timeout covers only the headers). */
const RESPONSE_PROBE_TIMEOUT_MS = 60_000

function errorMessage(error: unknown): string {
  if (isUpstreamError(error)) return `${error.message} (${error.code})`
  return error instanceof Error ? error.message : String(error)
}

function configCheck(loaded: LoadConfigResult): DoctorCheck {
  const { config, errors, warnings } = loaded
  const path = config.config_file.path
  if (errors.length > 0) {
    return {
      name: 'config',
      status: 'fail',
      message: `The settings have ${errors.length} error${errors.length === 1 ? '' : 's'}: ${errors.map((issue) => issue.message).join(' ')}`,
      next_steps: [`Fix the listed settings in ${path} or in the environment.`],
      data: { path, errors, warnings },
    }
  }
  if (!config.config_file.exists) {
    return {
      name: 'config',
      status: 'warn',
      message: 'Using built-in defaults; no config file exists.',
      next_steps: ['airelays init'],
      data: { path, warnings },
    }
  }
  if (warnings.length > 0) {
    return {
      name: 'config',
      status: 'warn',
      message: `Configuration file found, with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${warnings.map((issue) => issue.message).join(' ')}`,
      data: { path, warnings },
    }
  }
  return { name: 'config', status: 'pass', message: 'Configuration file found.', data: { path } }
}

/** Collects the text of a streamed response (bounded by `signal`). */
async function probeResponse(upstream: UpstreamClient, model: string, signal: AbortSignal): Promise<string> {
  const stream = await upstream.responses(
    {
      model,
      instructions: 'Reply with exactly: ok.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Reply with exactly: ok' }] }],
      store: false,
      tools: [],
      stream: true,
    },
    { signal, requestId: 'doctor_response' },
  )
  let text = ''
  for await (const event of stream) {
    if (event.type === 'response.output_text.delta' && typeof event.delta === 'string') text += event.delta
  }
  return text
}

/**
 * `airelays doctor`: config, relay_token, openai_auth, openai_models, openai_response, anthropic,
 * claude, in the reference order. The upstream probes run once, without retries, so a failure shows at once.
 * Exit code 1 when a check failed; warnings do not fail the run.
 */
export async function runDoctor(term: Terminal, options: DoctorOptions): Promise<number> {
  const loaded = await loadSettings(options.flags, { term, json: options.json, onErrors: 'report' })
  const { config } = loaded
  const checks: DoctorCheck[] = [configCheck(loaded)]
  checks.push(relayTokenCheck(config, await readConfiguredToken(config)))
  const store = authStoreFor(config)
  const accounts = await loadAccounts(config, store).catch(() => [])
  let login = await readLoginState(config, store, accounts[0]?.slot ?? DEFAULT_SLOT)
  let slot = accounts[0]?.slot ?? DEFAULT_SLOT
  if (accounts.length > 1) {
    // One check per account; the upstream probes use the first ready one.
    let ready: { login: LoginState; slot: string } | null = null
    for (const account of accounts) {
      const state = await readLoginState(config, store, account.slot)
      const check = openaiAuthCheck(config.providers.openai.enabled, state)
      checks.push({ ...check, name: `openai_auth ${accountLabel(account)}` })
      if (!ready && state.ready_for_requests) ready = { login: state, slot: account.slot }
    }
    if (ready) ({ login, slot } = ready)
  } else {
    checks.push(openaiAuthCheck(config.providers.openai.enabled, login))
  }
  const clientVersion = (await clientVersionFor(loaded)).version
  checks.push(
    ...(await upstreamChecks(config, {
      store,
      slot,
      login,
      skipResponse: options.skipResponse,
      clientVersion,
    })),
  )
  checks.push(anthropicCheck(config))
  checks.push({
    name: 'claude',
    status: 'skip',
    message: 'The Claude runtime is not supported by this version.',
  })

  const payload = summarize(checks)
  const exitCode = payload.ok ? 0 : 1
  if (options.json) printJson(term.out, payload)
  else printReport(term, payload)
  return exitCode
}

/** The Anthropic Messages surface: on or off, and where each Claude model name goes. */
function anthropicCheck(config: ResolvedConfig): DoctorCheck {
  const { enabled, models } = anthropicStatus(config)
  if (!enabled || !config.providers.openai.enabled) {
    return {
      name: 'anthropic',
      status: 'skip',
      message: enabled
        ? 'The Anthropic Messages API needs the OpenAI runtime, which is disabled.'
        : 'The Anthropic Messages API is disabled ([providers.anthropic] enabled = false).',
      data: { models },
    }
  }
  const mapping = Object.entries(models).map(([name, route]) => claudeRouteText(name, route))
  return {
    name: 'anthropic',
    status: 'pass',
    message: `Claude model names map to: ${mapping.join(', ')}.`,
    data: { models },
  }
}

function relayTokenCheck(config: ResolvedConfig, token: RelayTokenInfo): DoctorCheck {
  if (!config.security.require_bearer_auth) {
    return { name: 'relay_token', status: 'skip', message: 'Relay bearer auth is disabled.' }
  }
  if (token.token === null) {
    return {
      name: 'relay_token',
      status: 'fail',
      message: 'Relay bearer auth is enabled, but no relay token is configured.',
      next_steps: ['airelays init', 'airelays token rotate'],
    }
  }
  return {
    name: 'relay_token',
    status: 'pass',
    message: 'Relay bearer token is present.',
    data: { source: token.source, fingerprint: token.fingerprint },
  }
}

function openaiAuthCheck(openaiEnabled: boolean, login: LoginState): DoctorCheck {
  if (!openaiEnabled) {
    return { name: 'openai_auth', status: 'skip', message: 'The OpenAI runtime is disabled.' }
  }
  if (login.ready_for_requests) {
    return {
      name: 'openai_auth',
      status: 'pass',
      message: 'OpenAI subscription login is ready.',
      data: { email: login.email, plan_type: login.plan_type, account_id: login.account_id },
    }
  }
  return {
    name: 'openai_auth',
    status: 'fail',
    message: `OpenAI subscription login is missing, incomplete, or account-mismatched.${login.error ? ` ${login.error}` : ''}`,
    next_steps: [loginHint(process.env)],
  }
}

interface UpstreamProbeInput {
  store: AuthStore
  /** The account slot the probes use. */
  slot: string
  login: LoginState
  skipResponse: boolean
  /** The Codex client version the relay announces (see `clientVersionFor`). */
  clientVersion: string
}

/** openai_models and openai_response: one upstream client, no retries, closed afterwards. */
async function upstreamChecks(config: ResolvedConfig, input: UpstreamProbeInput): Promise<DoctorCheck[]> {
  const openaiEnabled = config.providers.openai.enabled
  const upstream =
    openaiEnabled && input.login.ready_for_requests
      ? createUpstreamClient({
          baseUrl: config.upstream.base_url,
          issuerUrl: config.upstream.issuer_base_url,
          clientId: config.upstream.client_id,
          clientVersion: input.clientVersion,
          credentials: credentialStoreFor(input.store, input.slot),
          requestTimeoutMs: config.upstream.request_timeout_seconds * 1000,
          retry: { attempts: 0 },
          modelsCacheTtlSeconds: 0,
        })
      : null
  try {
    const models: ModelsProbe = upstream
      ? await modelsCheck(upstream, () => catalogAbove(config, input))
      : {
          check: {
            name: 'openai_models',
            status: 'skip',
            message: openaiEnabled ? 'Skipped: no usable OpenAI login.' : 'The OpenAI runtime is disabled.',
          },
          selectedModel: null,
        }
    let response: DoctorCheck
    if (input.skipResponse) {
      response = { name: 'openai_response', status: 'skip', message: 'Skipped (--skip-response).' }
    } else if (!upstream || !models.selectedModel) {
      response = { name: 'openai_response', status: 'skip', message: 'Skipped: the earlier checks failed.' }
    } else {
      response = await responseCheck(upstream, models.selectedModel)
    }
    return [models.check, response]
  } finally {
    await upstream?.close()
  }
}

interface ModelsProbe {
  check: DoctorCheck
  /** The first model the upstream listed, for the response probe. */
  selectedModel: string | null
}

/** The account's catalog as a client newer than every release sees it (null when it cannot be read). */
function catalogAbove(config: ResolvedConfig, input: UpstreamProbeInput): Promise<string[] | null> {
  const options = { store: input.store, slot: input.slot, timeoutMs: RESPONSE_PROBE_TIMEOUT_MS }
  return catalogSlugs(config, { ...options, clientVersion: ANY_CLIENT_VERSION }).catch(() => null)
}

async function modelsCheck(
  upstream: UpstreamClient,
  fullCatalog: () => Promise<string[] | null>,
): Promise<ModelsProbe> {
  try {
    const models = await upstream.models({ signal: AbortSignal.timeout(RESPONSE_PROBE_TIMEOUT_MS) })
    const slugs = models.map((model) => model.slug).filter((slug) => typeof slug === 'string' && slug !== '')
    const selectedModel = slugs[0] ?? null
    const above = ((await fullCatalog()) ?? []).filter((slug) => !slugs.includes(slug))
    const version = upstream.clientVersion
    const check: DoctorCheck = !selectedModel
      ? { name: 'openai_models', status: 'fail', message: 'Upstream /models returned no models.' }
      : above.length > 0
        ? {
            name: 'openai_models',
            status: 'warn',
            message: `Upstream /models returned ${slugs.length} model(s) at client version ${version}; ${above.join(', ')} need(s) a newer Codex client version and cannot be called.`,
            data: {
              selected_model: selectedModel,
              models: slugs,
              client_version: version,
              models_above_client_version: above,
            },
            next_steps: [RAISE_CLIENT_VERSION_STEP],
          }
        : {
            name: 'openai_models',
            status: 'pass',
            message: `Upstream /models returned ${slugs.length} model(s) at client version ${version}.`,
            data: {
              selected_model: selectedModel,
              models: slugs,
              client_version: version,
              models_above_client_version: [],
            },
          }
    return { check, selectedModel }
  } catch (error) {
    return {
      check: {
        name: 'openai_models',
        status: 'fail',
        message: `OpenAI upstream /models probe failed: ${errorMessage(error)}`,
      },
      selectedModel: null,
    }
  }
}

async function responseCheck(upstream: UpstreamClient, model: string): Promise<DoctorCheck> {
  try {
    const text = await probeResponse(upstream, model, AbortSignal.timeout(RESPONSE_PROBE_TIMEOUT_MS))
    return {
      name: 'openai_response',
      status: 'pass',
      message: `Upstream /responses streamed an answer from ${model}.`,
      data: { model, text },
    }
  } catch (error) {
    return {
      name: 'openai_response',
      status: 'fail',
      message: `OpenAI upstream /responses probe failed: ${errorMessage(error)}`,
      data: { model },
    }
  }
}

function summarize(checks: DoctorCheck[]): DoctorPayload {
  const count = (status: CheckStatus): number => checks.filter((check) => check.status === status).length
  return {
    ok: count('fail') === 0,
    summary: {
      passed: count('pass'),
      warnings: count('warn'),
      failed: count('fail'),
      skipped: count('skip'),
    },
    checks,
    next_steps: [...new Set(checks.flatMap((check) => check.next_steps ?? []))],
  }
}

function printReport(term: Terminal, payload: DoctorPayload): void {
  const out = term.out
  const label: Record<CheckStatus, string> = {
    pass: out.style.green('PASS'),
    warn: out.style.yellow('WARN'),
    fail: out.style.red('FAIL'),
    skip: out.style.dim('SKIP'),
  }
  out.title('Doctor')
  out.section('Checks')
  for (const check of payload.checks) {
    out.line(formatField(check.name, `${label[check.status]}  ${check.message}`))
  }
  out.section('Summary')
  const { passed, warnings, failed, skipped } = payload.summary
  out.note(`${passed} passed, ${warnings} warning(s), ${failed} failed, ${skipped} skipped`)
  out.steps('Next Steps', payload.next_steps)
}
