import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBody, sendJson } from '../_internal/http'
import { registerAccount, setLoginAccount } from '../accounts'
import { setUsage } from '../backend/usage'
import { script } from '../behaviours/queue'
import { UpstreamEmulatorError } from '../errors'
import { approveDevice } from '../issuer/device'
import { issueTokens, storedAuth } from '../issuer/mint'
import { type EmulatorState, resetState } from '../state'
import type {
  EmulatorAccountOptions,
  EmulatorBehaviour,
  EmulatorUsageSettings,
  IssueTokensOptions,
} from '../types'

/** Path prefix of the control API (never recorded). */
export const CONTROL_PREFIX = '/__emulator/'

const NOT_FOUND = { detail: 'Not Found' }

type ControlRoute = (state: EmulatorState, json: unknown) => { status: number; body: unknown }

/** `METHOD path` → what it does; each mirrors one method of the JavaScript API. */
const CONTROL_ROUTES: Record<string, ControlRoute> = {
  'POST /__emulator/script': (state, json) => {
    const list = Array.isArray(json) ? json : json === undefined ? [] : [json]
    script(state, list as EmulatorBehaviour[])
    return { status: 200, body: { queued: list.length, pending: state.behaviours.length } }
  },
  'GET /__emulator/requests': (state) => ({ status: 200, body: state.recording.requests }),
  'GET /__emulator/stats': (state) => ({ status: 200, body: { ...state.recording.counters } }),
  'POST /__emulator/reset': (state) => {
    resetState(state)
    return { status: 200, body: { ok: true } }
  },
  'POST /__emulator/tokens': (state, json) => ({
    status: 200,
    body: issueTokens(state, (json ?? {}) as IssueTokensOptions),
  }),
  'POST /__emulator/stored-auth': (state, json) => ({
    status: 200,
    body: storedAuth(state, (json ?? {}) as IssueTokensOptions),
  }),
  'POST /__emulator/approve-device': (state, json) => {
    const code = (json as { user_code?: unknown } | undefined)?.user_code
    const approved = approveDevice(state, typeof code === 'string' ? code : undefined)
    return { status: approved ? 200 : 404, body: { approved } }
  },
  'POST /__emulator/usage': (state, json) => {
    const { accountId, ...settings } = (json ?? {}) as EmulatorUsageSettings & { accountId?: string }
    setUsage(state, settings, accountId)
    return { status: 200, body: { ok: true } }
  },
  'POST /__emulator/accounts': (state, json) => {
    registerAccount(state, (json ?? {}) as EmulatorAccountOptions)
    return { status: 200, body: { ok: true } }
  },
  'POST /__emulator/login-account': (state, json) => {
    const accountId = (json as { accountId?: unknown } | undefined)?.accountId
    setLoginAccount(state, typeof accountId === 'string' ? accountId : null)
    return { status: 200, body: { ok: true } }
  },
}

/** Answer a control-API request under `/__emulator/`. */
export async function handleControl(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const body = req.method === 'POST' ? await readBody(req) : null
  if (req.method === 'POST' && body === null) return
  const bad = (message: string): void =>
    sendJson(res, 400, {
      error: { message, type: 'invalid_request_error', param: null, code: 'emulator_bad_request' },
    })
  const key = `${req.method} ${path}`
  const route = Object.hasOwn(CONTROL_ROUTES, key) ? CONTROL_ROUTES[key] : undefined
  if (!route) return sendJson(res, 404, NOT_FOUND)
  if (key === 'POST /__emulator/script' && body?.jsonError) {
    return bad('Body must be JSON: an array of behaviours (or one behaviour).')
  }
  try {
    const answer = route(state, body?.json)
    sendJson(res, answer.status, answer.body)
  } catch (error) {
    if (error instanceof UpstreamEmulatorError) return bad(error.message)
    throw error
  }
}
