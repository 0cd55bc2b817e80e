import type { AuthStore, StoredAccount, StoredAuth } from '@airelays/auth-store'
import {
  accountLabel,
  chooseLoginSlot,
  DEFAULT_SLOT,
  isAuthStoreError,
  resolveAccount,
} from '@airelays/auth-store'
import type { ConfigFlags, ResolvedConfig } from '@airelays/config'
import { settingsSummary } from '@airelays/config'
import { startBrowserLogin, startDeviceLogin } from '@airelays/upstream-client'
import { addedNote, loadAccounts } from '../_internal/accounts'
import { clientBlock, isHeadless, loginHint, printClientSetup, serveCommand } from '../_internal/client'
import { InterruptScope } from '../_internal/interrupt'
import { authStoreFor, readLoginState, storageText } from '../_internal/login-state'
import { openBrowser } from '../_internal/open-browser'
import type { Terminal } from '../_internal/output'
import { readConfiguredToken } from '../_internal/relay-token'
import { loadSettings } from '../_internal/settings'
import { startWaitStatus } from '../_internal/wait-status'
import { CliError } from '../errors'

/** Options of `airelays login`. */
export interface LoginOptions {
  flags: ConfigFlags
  device: boolean
  browser: boolean
  noBrowser: boolean
  workspaceId: string | undefined
  /** `--replace ACCOUNT`: sign this existing account's slot in again (e-mail, prefix or slug). */
  replace?: string | undefined
}

/**
 * `AIRELAYS_LOGIN_CALLBACK_PORT`: the browser-login callback port (default 1455, falling back to
 * 1457). A test and advanced knob: 0 picks a free port, and any set value disables the fallback.
 */
export function callbackPortFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env.AIRELAYS_LOGIN_CALLBACK_PORT?.trim()
  if (!raw) return undefined
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(
      `Invalid AIRELAYS_LOGIN_CALLBACK_PORT value '${raw}': expected an integer from 0 to 65535 (0 picks a free port).`,
    )
  }
  return port
}

/** `airelays login`: browser (PKCE) or device-code login; the credentials go to the configured store. */
export async function runLogin(term: Terminal, options: LoginOptions): Promise<number> {
  const { config } = await loadSettings(options.flags, { term, json: false, onErrors: 'fail' })
  if (!config.providers.openai.enabled) {
    throw new CliError(
      'The OpenAI subscription runtime is disabled for this AIRelays process. Enable `[providers.openai].enabled` to use `airelays login`.',
    )
  }
  const callbackPort = callbackPortFromEnv(process.env)
  const store = authStoreFor(config)
  await preflightStore(store)
  // An unknown --replace account fails before the user signs in.
  const replace =
    options.replace === undefined ? null : resolveAccount(await loadAccounts(config, store), options.replace)

  const out = term.out
  let useDevice = options.device
  if (!useDevice && !options.browser && isHeadless(process.env)) {
    out.line('No local browser detected (SSH session or no display).')
    out.line('Using device-code login. Force the browser flow with: airelays login --browser')
    out.line()
    useDevice = true
  }

  const scope = new InterruptScope()
  let auth: StoredAuth
  try {
    auth = useDevice
      ? await deviceLogin(term, config, scope)
      : await browserLogin(term, config, scope, {
          workspaceId: options.workspaceId,
          callbackPort,
          open: config.auth.browser_open && !options.noBrowser,
        })
  } finally {
    scope.dispose()
  }

  // Never another account's slot: the same upstream account is refreshed in place, a new one
  // gets its own `accounts/<slug>` (the legacy root when it is the first).
  const current = await loadAccounts(config, store)
  const target = replace ? (current.find((a) => a.slot === replace.slot) ?? replace) : null
  const placement = chooseLoginSlot(current, auth, target)
  await store.set(placement.slot, auth)
  const after = await loadAccounts(config, store)
  const added = placement.action === 'added' ? after.find((a) => a.slot === placement.slot) : undefined
  await printLoginSummary(term, config, {
    store,
    slot: placement.slot,
    added: added ? { added, accounts: after } : null,
  })
  return 0
}

/**
 * Fails before the user signs in when the configured store cannot hold credentials (an explicit
 * `keyring` mode without a reachable keychain). Unreadable old credentials do not block a new login.
 */
async function preflightStore(store: AuthStore): Promise<void> {
  try {
    await store.get(DEFAULT_SLOT)
  } catch (error) {
    if (isAuthStoreError(error) && error.code === 'keychain_unavailable') throw error
  }
}

const CANCELLED = 'Login cancelled.'

async function deviceLogin(
  term: Terminal,
  config: ResolvedConfig,
  scope: InterruptScope,
): Promise<StoredAuth> {
  const out = term.out
  const controller = new AbortController()
  scope.onCancel(async () => controller.abort())
  const login = await scope.guard(
    startDeviceLogin({
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      loginTimeoutSeconds: config.auth.login_timeout_seconds,
    }),
    CANCELLED,
  )
  scope.onCancel(async () => {
    controller.abort()
    await login.cancel()
  })
  await scope.throwIfInterrupted(CANCELLED)
  out.title('Device Login')
  out.note(`1. Open: ${out.style.bold(login.verificationUrl)}`)
  out.note(`2. Enter this code: ${out.style.bold(login.userCode)}`)
  out.line()
  const status = startWaitStatus(term.err, {
    label: 'Waiting for approval',
    expiresAt: login.expiresAt,
    live: process.stderr.isTTY === true,
  })
  try {
    return await scope.guard(login.waitForCompletion({ signal: controller.signal }), CANCELLED)
  } finally {
    status.stop()
  }
}

async function browserLogin(
  term: Terminal,
  config: ResolvedConfig,
  scope: InterruptScope,
  options: { workspaceId: string | undefined; callbackPort: number | undefined; open: boolean },
): Promise<StoredAuth> {
  const out = term.out
  const login = await scope.guard(
    startBrowserLogin({
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      loginTimeoutSeconds: config.auth.login_timeout_seconds,
      ...(options.workspaceId === undefined ? {} : { workspaceId: options.workspaceId }),
      ...(options.callbackPort === undefined ? {} : { port: options.callbackPort, fallbackPort: null }),
    }),
    CANCELLED,
  )
  scope.onCancel(() => login.cancel())
  await scope.throwIfInterrupted(CANCELLED)
  out.title('Login')
  out.line('Open this URL in a browser ON THIS MACHINE to sign in with your ChatGPT account:')
  out.line()
  out.line(`  ${login.authorizeUrl}`)
  out.line()
  out.line(
    `The sign-in redirects to ${login.redirectUri}, which only a browser running on this machine can reach.`,
  )
  out.line(
    `On a remote machine use \`airelays login --device\`, or forward the port first: ssh -L ${login.port}:localhost:${login.port} user@this-server`,
  )
  out.line()
  if (options.open) {
    const opened = await openBrowser(login.authorizeUrl)
    out.line(opened ? 'Opened your browser.' : 'Could not open a browser; open the URL above yourself.')
    out.line()
  }
  const expiresAt = new Date(Date.now() + config.auth.login_timeout_seconds * 1000)
  const status = startWaitStatus(term.err, {
    label: 'Waiting for the browser sign-in',
    expiresAt,
    live: process.stderr.isTTY === true,
  })
  try {
    return await scope.guard(login.waitForCompletion(), CANCELLED)
  } finally {
    status.stop()
  }
}

/** Where a login landed: the store and slot it was saved to, and the account it added (else null). */
interface LoginPlacement {
  store: AuthStore
  slot: string
  added: { added: StoredAccount; accounts: StoredAccount[] } | null
}

/** The "OpenAI Session" summary, Client Setup and Next Steps after a login. */
async function printLoginSummary(
  term: Terminal,
  config: ResolvedConfig,
  { store, slot, added }: LoginPlacement,
): Promise<void> {
  const out = term.out
  const state = await readLoginState(config, store, slot)
  const token = await readConfiguredToken(config)
  const summary = settingsSummary(config)
  out.section('OpenAI Session')
  out.field('Authenticated', state.authenticated)
  out.field('Email', state.email)
  out.field('Plan', state.plan_type)
  out.field('Account ID', state.account_id)
  out.field('Stored in', storageText(state))
  out.field('Relay token', token.token === null ? 'missing' : 'present')
  out.field('Token file', config.security.bearer_token_file)
  printClientSetup(out, clientBlock(config, summary.client_base_url))
  const needsToken = config.security.require_bearer_auth && token.token === null
  if (added) {
    out.line()
    out.note(addedNote(config.providers.openai.balance, added.added, added.accounts))
    out.steps('Next Steps', [
      ...(needsToken ? ['airelays init'] : []),
      'airelays accounts',
      `airelays logout ${accountLabel(added.added)}`,
    ])
  } else {
    out.steps('Next Steps', [needsToken ? 'airelays init' : serveCommand(config)])
  }
  if (!state.ready_for_requests) {
    out.line()
    out.note(
      out.style.yellow(
        `The stored login is not ready for requests; run \`${loginHint(process.env)}\` again.`,
      ),
    )
  }
}
