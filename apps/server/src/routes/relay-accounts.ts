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

/** The account routes the dashboard's Accounts page uses (ordinary authenticated JSON routes). */
export function relayAccountRoutes(rt: RelayRuntime): RelayAccountRoutes {
  const config = rt.settings.config
  const dataDir = config.paths.data_dir
  let store: AuthStore | null = null
  const storeOf = (): AuthStore => {
    store ??= createAuthStore({ mode: config.auth.storage, dataDir })
    return store
  }
  const logins = new Map<string, PendingLogin>()
  const stored = async (): Promise<StoredAccount[]> =>
    (await listAccounts({ store: storeOf(), dataDir })).accounts
  const changed = async (): Promise<void> => {
    await rt.accounts?.reload(true)
  }

  const list: RelayHandler = async (req) => {
    const accounts = await stored()
    const live = new Map(
      (rt.accounts?.client.accounts() ?? []).map((a) => [a.slug, a as unknown as Record<string, unknown>]),
    )
    return req.json({
      object: 'list',
      balance: config.providers.openai.balance,
      data: accounts.map((a) => accountView(a, live)),
    })
  }

  const finish = async (pending: PendingLogin): Promise<void> => {
    try {
      const auth = await pending.login.waitForCompletion()
      for (const t of [auth.tokens.access_token, auth.tokens.refresh_token, auth.tokens.id_token]) {
        rt.secrets.add(t)
      }
      const placement = chooseLoginSlot(await stored(), auth)
      await storeOf().set(placement.slot, auth)
      await changed()
      const added = (await stored()).find((a) => a.slot === placement.slot)
      pending.account = { slug: placement.slug, email: added?.email ?? null, action: placement.action }
      pending.status = 'signed_in'
      rt.log.write('accounts', 'account_signed_in', { account: placement.slug, action: placement.action })
    } catch (error) {
      if (pending.status === 'cancelled') return
      pending.status = 'failed'
      pending.error = error instanceof Error ? error.message : String(error)
    }
  }

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
    void finish(pending)
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

  const signOut: RelayHandler = async (req) => {
    const selector = decodeURIComponent(getRouterParam(req.event, 'account') ?? '')
    const account = (await stored()).find((a) => a.slug === selector || a.email === selector)
    if (!account) throw accountNotFound(selector)
    let revoked = false
    let revokeError: string | null = null
    const upstream = createUpstreamClient({
      baseUrl: config.upstream.base_url,
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      clientVersion: config.upstream.client_version,
      credentials: credentialStoreFor(storeOf(), account.slot),
    })
    try {
      const result = await upstream.revoke(account.auth)
      revoked = result.revoked
      revokeError = result.revoked ? null : result.error
    } finally {
      await upstream.close()
    }
    const deleted = await removeAccount({ store: storeOf(), dataDir, account })
    await changed()
    rt.log.write(req.id, 'account_signed_out', { account: account.slug, revoked })
    return req.json({
      object: 'relay.account_sign_out',
      account: account.slug,
      deleted,
      revoked,
      revoke_error: revokeError,
      remaining: (await stored()).map((a) => a.slug),
    })
  }

  const order: RelayHandler = async (req) => {
    const body = await req.readJson({ emptyAsObject: false })
    const names = body.order
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
      throw invalidValue('order', '`order` must be a non-empty array of account slugs or e-mails.')
    }
    const accounts = await stored()
    let slugs: string[] = []
    try {
      slugs = reorderAccounts(accounts, names as string[])
    } catch (error) {
      storeError(error)
    }
    await writeAccountOrder(dataDir, slugs)
    await changed()
    rt.log.write(req.id, 'account_order', { order: slugs })
    return req.json({ object: 'relay.account_order', order: slugs })
  }

  const close = async (): Promise<void> => {
    for (const pending of logins.values()) {
      if (pending.status !== 'pending') continue
      pending.status = 'cancelled'
      await pending.login.cancel().catch(() => {})
    }
  }

  return { list, startLogin, loginStatus, cancelLogin, signOut, order, close }
}
