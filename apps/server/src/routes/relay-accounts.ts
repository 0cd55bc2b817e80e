import { randomBytes } from 'node:crypto'
import {
  type AuthStore,
  accountLabel,
  chooseLoginSlot,
  createAuthStore,
  credentialStoreFor,
  isAuthStoreError,
  listAccounts,
  removeAccount,
  reorderAccounts,
  type StoredAccount,
  writeAccountOrder,
} from '@airelays/auth-store'
import { createUpstreamClient, type DeviceLogin, startDeviceLogin } from '@airelays/upstream-client'
import { getRouterParam } from 'h3'
import { accountNotFound, invalidValue, relayError } from '../errors/factories'
import type { RelayRuntime } from '../runtime'
import type { RelayHandler } from './handler'

/** A device-code login started through `POST /v1/relay/accounts/login`. */
interface PendingLogin {
  id: string
  status: 'pending' | 'signed_in' | 'failed' | 'cancelled'
  userCode: string
  verificationUrl: string
  expiresAt: string
  login: DeviceLogin
  /** The account it signed in (slug and e-mail), once approved. */
  account: { slug: string; email: string | null; action: string } | null
  error: string | null
}

/** The handlers of `/v1/relay/accounts*` (besides `refresh`, see `accounts.ts`). */
export interface RelayAccountRoutes {
  /** `GET /v1/relay/accounts`: every signed-in account in serving order (never a token). */
  list: RelayHandler
  /** `POST /v1/relay/accounts/login`: start a device-code login; answers the code and the link. */
  startLogin: RelayHandler
  /** `GET /v1/relay/accounts/login/:login_id`: the login's state (`pending`, `signed_in`, `failed`). */
  loginStatus: RelayHandler
  /** `DELETE /v1/relay/accounts/login/:login_id`: stop waiting for an approval. */
  cancelLogin: RelayHandler
  /** `DELETE /v1/relay/accounts/:account`: revoke the account's tokens and delete its credentials. */
  signOut: RelayHandler
  /** `PUT /v1/relay/accounts/order` with `{"order":[slug…]}`: the serving order. */
  order: RelayHandler
  /** Cancel every pending login (the relay is closing). */
  close(): Promise<void>
}

/** Most device logins waiting at once; more answer 429. */
const MAX_PENDING = 4
/** Finished logins kept for their status, at most. */
const MAX_KEPT = 16

function loginView(login: PendingLogin): Record<string, unknown> {
  return {
    object: 'relay.account_login',
    id: login.id,
    status: login.status,
    user_code: login.userCode,
    verification_url: login.verificationUrl,
    expires_at: login.expiresAt,
    account: login.account,
    error: login.error,
  }
}

function accountView(a: StoredAccount, live: Map<string, Record<string, unknown>>): Record<string, unknown> {
  const state = live.get(a.slug) ?? {}
  return {
    slug: a.slug,
    email: a.email,
    plan: a.plan,
    position: a.position,
    label: accountLabel(a),
    limited: state.limited ?? false,
    limited_for_seconds: state.limited_for_seconds ?? null,
    used_percent: state.used_percent ?? null,
    last_error: state.last_error ?? null,
  }
}

function storeError(error: unknown): never {
  if (isAuthStoreError(error) && error.code === 'account_unknown') {
    throw invalidValue('order', error.message)
  }
  throw error
}

/** What the account handlers share. */
interface AccountsContext {
  rt: RelayRuntime
  dataDir: string
  store(): AuthStore
  /** The signed-in accounts, in serving order. */
  stored(): Promise<StoredAccount[]>
  /** Tell the pool the slots changed (it reloads now). */
  changed(): Promise<void>
}

function contextOf(rt: RelayRuntime): AccountsContext {
  const config = rt.settings.config
  const dataDir = config.paths.data_dir
  let store: AuthStore | null = null
  const storeOf = (): AuthStore => {
    store ??= createAuthStore({ mode: config.auth.storage, dataDir })
    return store
  }
  return {
    rt,
    dataDir,
    store: storeOf,
    stored: async () => (await listAccounts({ store: storeOf(), dataDir })).accounts,
    changed: async () => {
      await rt.accounts?.reload(true)
    },
  }
}

/** Wait for the login's approval, then save the credentials in their slot (as `airelays login`). */
async function finishLogin(ctx: AccountsContext, pending: PendingLogin): Promise<void> {
  const { rt } = ctx
  try {
    const auth = await pending.login.waitForCompletion()
    for (const t of [auth.tokens.access_token, auth.tokens.refresh_token, auth.tokens.id_token]) {
      rt.secrets.add(t)
    }
    const placement = chooseLoginSlot(await ctx.stored(), auth)
    await ctx.store().set(placement.slot, auth)
    await ctx.changed()
    const added = (await ctx.stored()).find((a) => a.slot === placement.slot)
    pending.account = { slug: placement.slug, email: added?.email ?? null, action: placement.action }
    pending.status = 'signed_in'
    rt.log.write('accounts', 'account_signed_in', { account: placement.slug, action: placement.action })
  } catch (error) {
    if (pending.status === 'cancelled') return
    pending.status = 'failed'
    pending.error = error instanceof Error ? error.message : String(error)
  }
}

/** The device logins started from the relay: start, status, cancel. */
function loginRoutes(
  ctx: AccountsContext,
): Pick<RelayAccountRoutes, 'startLogin' | 'loginStatus' | 'cancelLogin' | 'close'> {
  const config = ctx.rt.settings.config
  const logins = new Map<string, PendingLogin>()

  const startLogin: RelayHandler = async (req) => {
    if (!config.providers.openai.enabled) {
      throw relayError({
        status: 501,
        type: 'unsupported_error',
        code: 'provider_disabled',
        param: null,
        message: 'The OpenAI subscription runtime is disabled for this AIRelays process.',
      })
    }
    if ([...logins.values()].filter((l) => l.status === 'pending').length >= MAX_PENDING) {
      throw relayError({
        status: 429,
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        param: null,
        message: `At most ${MAX_PENDING} device logins can wait for approval at once; cancel one first.`,
      })
    }
    const login = await startDeviceLogin({
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      loginTimeoutSeconds: config.auth.login_timeout_seconds,
      loginHint: 'Start a new login from the dashboard or with `airelays login --device`.',
    })
    const pending: PendingLogin = {
      id: `login_${randomBytes(12).toString('hex')}`,
      status: 'pending',
      userCode: login.userCode,
      verificationUrl: login.verificationUrl,
      expiresAt: login.expiresAt.toISOString(),
      login,
      account: null,
      error: null,
    }
    logins.set(pending.id, pending)
    for (const [id, old] of logins) {
      if (logins.size <= MAX_KEPT) break
      if (old.status !== 'pending') logins.delete(id)
    }
    void finishLogin(ctx, pending)
    return req.json(loginView(pending), 201)
  }

  const pendingOf = (id: string): PendingLogin => {
    const pending = logins.get(id)
    if (!pending) {
      throw relayError({
        status: 404,
        type: 'invalid_request_error',
        code: 'not_found',
        param: 'login_id',
        message: `No device login \`${id.slice(0, 200)}\` was started on this relay.`,
      })
    }
    return pending
  }

  const loginStatus: RelayHandler = (req) =>
    req.json(loginView(pendingOf(getRouterParam(req.event, 'login_id') ?? '')))

  const cancelLogin: RelayHandler = async (req) => {
    const pending = pendingOf(getRouterParam(req.event, 'login_id') ?? '')
    if (pending.status === 'pending') {
      pending.status = 'cancelled'
      await pending.login.cancel()
    }
    return req.json(loginView(pending))
  }

  const close = async (): Promise<void> => {
    for (const pending of logins.values()) {
      if (pending.status !== 'pending') continue
      pending.status = 'cancelled'
      await pending.login.cancel().catch(() => {})
    }
  }
  return { startLogin, loginStatus, cancelLogin, close }
}

/** `DELETE /v1/relay/accounts/:account` (as `airelays logout <account>`). */
function signOutRoute(ctx: AccountsContext): RelayHandler {
  const config = ctx.rt.settings.config
  return async (req) => {
    const selector = decodeURIComponent(getRouterParam(req.event, 'account') ?? '')
    const account = (await ctx.stored()).find((a) => a.slug === selector || a.email === selector)
    if (!account) throw accountNotFound(selector)
    const upstream = createUpstreamClient({
      baseUrl: config.upstream.base_url,
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      clientVersion: config.upstream.client_version,
      credentials: credentialStoreFor(ctx.store(), account.slot),
    })
    let result: { revoked: boolean; error?: string | null }
    try {
      result = await upstream.revoke(account.auth)
    } finally {
      await upstream.close()
    }
    const deleted = await removeAccount({ store: ctx.store(), dataDir: ctx.dataDir, account })
    await ctx.changed()
    ctx.rt.log.write(req.id, 'account_signed_out', { account: account.slug, revoked: result.revoked })
    return req.json({
      object: 'relay.account_sign_out',
      account: account.slug,
      deleted,
      revoked: result.revoked,
      revoke_error: result.revoked ? null : (result.error ?? null),
      remaining: (await ctx.stored()).map((a) => a.slug),
    })
  }
}

/** `PUT /v1/relay/accounts/order` (as `airelays accounts order`). */
function orderRoute(ctx: AccountsContext): RelayHandler {
  return async (req) => {
    const body = await req.readJson({ emptyAsObject: false })
    const names = body.order
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
      throw invalidValue('order', '`order` must be a non-empty array of account slugs or e-mails.')
    }
    let slugs: string[] = []
    try {
      slugs = reorderAccounts(await ctx.stored(), names as string[])
    } catch (error) {
      storeError(error)
    }
    await writeAccountOrder(ctx.dataDir, slugs)
    await ctx.changed()
    ctx.rt.log.write(req.id, 'account_order', { order: slugs })
    return req.json({ object: 'relay.account_order', order: slugs })
  }
}

/** The account routes the dashboard's Accounts page uses (ordinary authenticated JSON routes). */
export function relayAccountRoutes(rt: RelayRuntime): RelayAccountRoutes {
  const ctx = contextOf(rt)
  const list: RelayHandler = async (req) => {
    const accounts = await ctx.stored()
    const live = new Map(
      (rt.accounts?.client.accounts() ?? []).map((a) => [a.slug, a as unknown as Record<string, unknown>]),
    )
    return req.json({
      object: 'list',
      balance: rt.settings.config.providers.openai.balance,
      data: accounts.map((a) => accountView(a, live)),
    })
  }
  return { list, signOut: signOutRoute(ctx), order: orderRoute(ctx), ...loginRoutes(ctx) }
}
