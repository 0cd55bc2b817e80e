import type { AuthStore, RelayTokenInfo } from '@airelays/auth-store'
import { DEFAULT_SLOT } from '@airelays/auth-store'
import type {
  ConfigFlags,
  ConfigIssue,
  ConfigKeyPath,
  ConfigSources,
  ConfigValueSource,
  ResolvedConfig,
  SettingsSummary,
} from '@airelays/config'
import { configKeys, settingsSummary } from '@airelays/config'
import type { ResolvedClientVersion, UsageSnapshot } from '@airelays/upstream-client'
import { loadAccounts } from '../_internal/accounts'
import { type CatalogGate, RAISE_CLIENT_VERSION_STEP, readCatalogGate } from '../_internal/catalog-gate'
import { changedSettings, resolvedValue } from '../_internal/changed-settings'
import { type AnthropicStatus, anthropicStatus, claudeRouteText } from '../_internal/claude-models'
import { type ClientBlock, clientBlock, loginHint, printClientSetup, serveCommand } from '../_internal/client'
import { clientVersionFor, clientVersionText } from '../_internal/client-version'
import { authStoreFor, type LoginState, readLoginState, storageText } from '../_internal/login-state'
import { preferQuickWasm } from '../_internal/one-shot'
import { printJson, type Terminal } from '../_internal/output'
import { probeRelay, type RelayProbe } from '../_internal/relay-probe'
import { readConfiguredToken, tokenSummary } from '../_internal/relay-token'
import { loadSettings } from '../_internal/settings'

/** Options of `airelays status`. */
export interface StatusOptions {
  flags: ConfigFlags
  json: boolean
}

/** Provider readiness in `status --json`. */
export interface ProvidersStatus {
  openai: { enabled: boolean; ready: boolean }
  /** The Anthropic Messages API (`/v1/messages`) and its Claude model map; ready with OpenAI. */
  anthropic: AnthropicStatus & { ready: boolean }
  /** The Claude keys are kept in the config, but this version does not run Claude. */
  claude: { enabled: boolean; supported: false; ready: false; note: string }
}

/** The config file and where each non-default setting came from. */
export interface ConfigStatus {
  path: string
  exists: boolean
  /** Why this path: `{kind:'default'}`, `{kind:'flag',name}`, `{kind:'env',name}`. */
  source: ConfigValueSource
  /**
   * Every setting given a value (file, environment or flag) rather than left to its built-in
   * default, with its origin, even when the value equals the default.
   */
  non_default: Partial<Record<ConfigKeyPath, ConfigValueSource>>
  warnings: ConfigIssue[]
  errors: ConfigIssue[]
}

/** One signed-in account in `status --json` (with two or more accounts). */
export interface AccountLoginState extends LoginState {
  /** 1-based serving position. */
  position: number
  slug: string
}

/** `airelays status --json`. */
export interface StatusPayload {
  relay: SettingsSummary
  /** Whether a relay answers `/healthz` on the configured host and port right now. */
  server: RelayProbe
  /** The Codex client version the relay announces upstream (decides which models it can call). */
  client_version: ResolvedClientVersion
  /**
   * The catalog models that client version cannot call (their `minimal_client_version` is above
   * it), when the login is ready (null otherwise or when the catalog is unreadable).
   */
  catalog: CatalogGate | null
  /** Why `catalog` is null although the login is ready. */
  catalog_error: string | null
  /** The login of the first account in serving order (the legacy root slot when there is none). */
  auth: LoginState
  /** Every account, in serving order; present with two or more accounts. */
  accounts?: AccountLoginState[]
  /** `[providers.openai] balance`; present with two or more accounts. */
  balance?: string
  providers: ProvidersStatus
  client: ClientBlock
  config: ConfigStatus
  /** Subscription usage from the backend when the login is ready (null otherwise or when unreadable). */
  usage: UsageSnapshot | null
  /** Why `usage` is null although the login is ready. */
  usage_error: string | null
  next_steps: string[]
}

const CLAUDE_NOTE = 'not supported by this version'

/** How long `status` waits for the model catalog, in ms. */
const CATALOG_TIMEOUT_MS = 5000

/** Settings that do not come from a built-in default. */
function nonDefaultSources(sources: ConfigSources): Partial<Record<ConfigKeyPath, ConfigValueSource>> {
  const result: Partial<Record<ConfigKeyPath, ConfigValueSource>> = {}
  for (const [key, source] of Object.entries(sources) as [ConfigKeyPath, ConfigValueSource][]) {
    if (source.kind !== 'default') result[key] = source
  }
  return result
}

/** "flag --port", "env AIRELAYS_PORT", "file /x/config.toml:3". */
export function sourceText(source: ConfigValueSource): string {
  switch (source.kind) {
    case 'default':
      return 'default'
    case 'flag':
      return `flag ${source.name}`
    case 'env':
      return `env ${source.name}`
    case 'legacy-env':
      return `legacy env ${source.name}`
    case 'file':
      return `file ${source.path}${source.line === null ? '' : `:${source.line}`}`
  }
}

/** A setting's value for humans; the relay token itself is never shown. */
function settingText(config: ResolvedConfig, key: ConfigKeyPath): string {
  if (key === 'security.bearer_token') return 'set'
  const value = resolvedValue(config, key)
  return Array.isArray(value) ? value.join(', ') : String(value)
}

interface StatusFacts {
  tokenPresent: boolean
  login: LoginState
  server: RelayProbe
  catalog: CatalogGate | null
}

function nextSteps(config: ResolvedConfig, { tokenPresent, login, server, catalog }: StatusFacts): string[] {
  const steps: string[] = []
  if ((catalog?.models_above_client_version.length ?? 0) > 0) steps.push(RAISE_CLIENT_VERSION_STEP)
  const tokenMissing = config.security.require_bearer_auth && !tokenPresent
  if (tokenMissing) steps.push('airelays init')
  const openaiReady = config.providers.openai.enabled && login.ready_for_requests
  if (!openaiReady && config.providers.openai.enabled) steps.push(loginHint(process.env))
  if (openaiReady && !tokenMissing && !server.running) steps.push(serveCommand(config))
  return steps
}

/** The Relay section of `airelays status`: settings summary, relay token, client version and gate. */
function printRelay(term: Terminal, payload: StatusPayload, token: RelayTokenInfo): void {
  const out = term.out
  const { relay, server, client_version: clientVersion } = payload
  out.section('Relay')
  out.field(
    'Config file',
    `${relay.config_path} (${relay.config_exists ? 'exists' : 'missing; defaults apply'})`,
  )
  out.field('Base URL', relay.client_base_url)
  out.field('Running', server.running ? `yes (AIRelays ${server.version ?? 'unknown version'})` : 'no')
  out.field('Data dir', relay.data_dir)
  out.field('Logs dir', relay.logs_dir)
  out.field('Bearer auth', relay.require_bearer_auth ? 'required' : 'disabled')
  out.field('Relay token', token.token === null ? 'missing' : 'present')
  if (token.token !== null) {
    out.field('Token source', token.source === 'env' ? 'env (AIRELAYS_BEARER_TOKEN)' : `file ${token.file}`)
    out.field('Fingerprint', token.fingerprint)
  } else {
    out.field('Token file', relay.bearer_token_file)
  }
  out.field('Rate limit', `${relay.rate_limit_per_minute}/min + burst ${relay.rate_limit_burst}`)
  out.field('Concurrent/IP', relay.concurrent_requests_per_ip)
  out.field('Client version', `${clientVersion.version} (${clientVersionText(clientVersion.source)})`)
  const above = payload.catalog?.models_above_client_version ?? []
  if (above.length > 0) {
    out.note(
      out.style.yellow(
        `Needs a newer client version (cannot be called): ${above.join(', ')}. Raise upstream.client_version.`,
      ),
    )
  } else if (payload.catalog_error)
    out.note(out.style.yellow(`Catalog unavailable: ${payload.catalog_error}`))
}

interface OnlineReadsInput {
  store: AuthStore
  /** The account slot the catalog is read with. */
  slot: string
  /** Whether the login can call upstream at all (else both reads answer empty at once). */
  online: boolean
  clientVersion: Promise<ResolvedClientVersion>
}

/** The two upstream reads of `status` (usage, catalog gate), started as soon as their inputs are known. */
function onlineReads(config: ResolvedConfig, input: OnlineReadsInput) {
  if (!input.online) {
    return {
      usage: Promise.resolve({ usage: null, error: null }),
      catalog: Promise.resolve({ gate: null, error: null }),
    }
  }
  const version = input.clientVersion.then((client) => client.version)
  return {
    usage: Promise.all([import('../_internal/usage'), version]).then(([{ readUsage }, v]) =>
      readUsage(config, v),
    ),
    catalog: version.then((v) =>
      readCatalogGate(config, {
        store: input.store,
        slot: input.slot,
        clientVersion: v,
        timeoutMs: CATALOG_TIMEOUT_MS,
      }),
    ),
  }
}

/** `airelays status`: settings, relay token, the stored ChatGPT login (no network), client setup. */
export async function runStatus(term: Terminal, options: StatusOptions): Promise<number> {
  const loaded = await loadSettings(options.flags, { term, json: options.json, onErrors: 'report' })
  const { config } = loaded
  // The usage and catalog reads use node:http (transport 'node'); undici, and its WebAssembly
  // parser, is loaded only behind a proxy, for three small responses: no need to optimise it.
  await preferQuickWasm()
  // The slow parts start at once and run while the files are read: the relay probe, `codex
  // --version` (a child process) and, once the login is known to be usable, the usage request.
  const serverProbe = probeRelay(config)
  const clientVersionRead = clientVersionFor(loaded)
  const token = await readConfiguredToken(config)
  const store = authStoreFor(config)
  const accounts = await loadAccounts(config, store).catch(() => [])
  const login = await readLoginState(config, store, accounts[0]?.slot ?? DEFAULT_SLOT)
  const online = onlineReads(config, {
    store,
    slot: accounts[0]?.slot ?? DEFAULT_SLOT,
    online: config.providers.openai.enabled && login.ready_for_requests,
    clientVersion: clientVersionRead,
  })
  const states: AccountLoginState[] = []
  if (accounts.length > 1) {
    for (const account of accounts) {
      const state = await readLoginState(config, store, account.slot)
      states.push({ ...state, position: account.position, slug: account.slug })
    }
  }
  const server = await serverProbe
  const relay = settingsSummary(config, { bearerToken: tokenSummary(token) })
  const clientVersion = await clientVersionRead
  const [usageRead, catalogRead] = await Promise.all([online.usage, online.catalog])
  const payload: StatusPayload = {
    relay,
    server,
    client_version: clientVersion,
    catalog: catalogRead.gate,
    catalog_error: catalogRead.error,
    auth: login,
    ...(states.length > 1 ? { accounts: states, balance: config.providers.openai.balance } : {}),
    providers: {
      openai: {
        enabled: config.providers.openai.enabled,
        ready: config.providers.openai.enabled && login.ready_for_requests,
      },
      anthropic: {
        ...anthropicStatus(config),
        ready:
          config.providers.anthropic.enabled && config.providers.openai.enabled && login.ready_for_requests,
      },
      claude: { enabled: config.providers.claude.enabled, supported: false, ready: false, note: CLAUDE_NOTE },
    },
    client: clientBlock(config, relay.client_base_url),
    config: {
      path: config.config_file.path,
      exists: config.config_file.exists,
      source: config.config_file.source,
      non_default: nonDefaultSources(loaded.sources),
      warnings: loaded.warnings,
      errors: loaded.errors,
    },
    usage: usageRead.usage,
    usage_error: usageRead.error,
    next_steps: nextSteps(config, {
      tokenPresent: token.token !== null,
      login,
      server,
      catalog: catalogRead.gate,
    }),
  }
  if (options.json) {
    printJson(term.out, payload)
    return 0
  }

  const out = term.out
  out.title('Status')
  printRelay(term, payload, token)

  if (states.length > 1) {
    out.section('OpenAI Accounts')
    out.field('Balance', config.providers.openai.balance)
    for (const state of states) {
      out.field(
        `#${state.position} ${state.email ?? state.slug}`,
        `${state.ready_for_requests ? 'ready' : 'not ready'}, plan ${state.plan_type ?? 'unknown'}, ${storageText(state)}`,
      )
    }
  }
  out.section('Upstream Session')
  out.field('Enabled', login.enabled)
  out.field('Ready', payload.providers.openai.ready)
  out.field('Authenticated', login.authenticated)
  out.field('Account bound', login.account_bound)
  out.field('Email', login.email)
  out.field('Plan', login.plan_type)
  out.field('Account ID', login.account_id)
  out.field('Last refresh', login.last_refresh)
  out.field('Storage mode', login.storage_mode)
  out.field('Auth store', storageText(login))
  if (login.error) out.field('Store error', login.error)

  if (payload.usage) (await import('../_internal/usage')).printUsage(term, payload.usage)
  else if (payload.usage_error) out.note(out.style.yellow(`Usage unavailable: ${payload.usage_error}`))

  out.section('Providers')
  out.field(
    'OpenAI',
    `${login.enabled ? 'enabled' : 'disabled'}, ${payload.providers.openai.ready ? 'ready' : 'not ready'}`,
  )
  const anthropic = payload.providers.anthropic
  out.field(
    'Anthropic API',
    `${anthropic.enabled ? 'enabled' : 'disabled'}, ${anthropic.ready ? 'ready' : 'not ready'} (/v1/messages)`,
  )
  out.field('Claude', CLAUDE_NOTE)

  out.section('Claude Models')
  for (const [name, route] of Object.entries(anthropic.models)) out.line(`  ${claudeRouteText(name, route)}`)

  out.section('Settings')
  // Only values that differ from the default: `airelays init` writes every key into config.toml.
  const changed = changedSettings(configKeys, config, loaded.sources)
  if (changed.length === 0) out.note('All settings are at their defaults.')
  // Keys are longer than the usual label width: pad them to the longest one so values line up.
  const width = Math.max(18, ...changed.map(([key]) => key.length + 2))
  for (const [key, source] of changed)
    out.note(`${`${key}:`.padEnd(width)}${settingText(config, key)} (${sourceText(source)})`)
  for (const issue of loaded.errors) out.note(out.style.red(`error: ${issue.message}`))
  for (const issue of loaded.warnings) out.note(out.style.yellow(`warning: ${issue.message}`))

  printClientSetup(out, payload.client)
  out.steps('Next Steps', payload.next_steps)
  return 0
}
