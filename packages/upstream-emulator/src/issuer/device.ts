import { randomBytes } from 'node:crypto'
import { escapeHtml, sendHtml, sendJson } from '../_internal/http'
import { randomId, s256 } from '../_internal/ids'
import { type Identity, loginIdentity } from '../accounts'
import { runPre } from '../behaviours/pre'
import type { Exchange } from '../exchange'
import type { EmulatorState } from '../state'
import { issueCode } from './codes'

/** A pending device-code login. */
export interface DeviceAuth {
  deviceAuthId: string
  userCode: string
  identity: Identity
  polls: number
  approved: boolean
  expiresAt: number
  createdAt: number
}

const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

function userCode(): string {
  const bytes = randomBytes(8)
  let code = ''
  for (let i = 0; i < 8; i++) {
    if (i === 4) code += '-'
    code += USER_CODE_ALPHABET[(bytes[i] as number) % USER_CODE_ALPHABET.length]
  }
  return code
}

function jsonObject(body: Exchange['body']): Record<string, unknown> {
  return (typeof body.json === 'object' && body.json !== null ? body.json : {}) as Record<string, unknown>
}

/** `POST /api/accounts/deviceauth/usercode`: start a device login. */
export async function handleDeviceUsercode(ex: Exchange): Promise<void> {
  const { res, state } = ex
  if ((await runPre(ex, 'device_usercode', {})).done) return
  const json = ex.body.json as Record<string, unknown> | undefined
  if (!json || typeof json !== 'object' || json.client_id !== state.config.clientId) {
    return sendJson(res, 400, {
      error: { code: 'invalid_client', message: 'Unknown or missing client_id.' },
    })
  }
  const id = `deviceauth_${randomId(18)}`
  const created = Date.now()
  const auth: DeviceAuth = {
    deviceAuthId: id,
    userCode: userCode(),
    identity: loginIdentity(state),
    polls: 0,
    approved: false,
    expiresAt: created + state.config.deviceTtlMs,
    createdAt: created,
  }
  state.issuer.devices.set(id, auth)
  sendJson(res, 200, {
    device_auth_id: id,
    user_code: auth.userCode,
    interval: state.config.deviceInterval,
    expires_at: new Date(auth.expiresAt).toISOString(),
  })
}

/** `POST /api/accounts/deviceauth/token`: poll a device login; approved ones get an authorization code. */
export async function handleDeviceToken(ex: Exchange): Promise<void> {
  const { res, state } = ex
  if ((await runPre(ex, 'device_token', {})).done) return
  const json = jsonObject(ex.body)
  const devices = state.issuer.devices
  const auth = typeof json.device_auth_id === 'string' ? devices.get(json.device_auth_id) : undefined
  if (!auth || json.user_code !== auth.userCode) {
    return sendJson(res, 400, {
      error: { code: 'invalid_request', message: 'Unknown device_auth_id or user_code.' },
    })
  }
  if (auth.expiresAt <= Date.now()) {
    devices.delete(auth.deviceAuthId)
    return sendJson(res, 410, {
      error: { code: 'deviceauth_expired', message: 'The device code has expired. Request a new code.' },
    })
  }
  const autoApproveAfter = state.config.autoApproveAfter
  if (!auth.approved && autoApproveAfter !== null && auth.polls >= autoApproveAfter) auth.approved = true
  auth.polls++
  if (!auth.approved) {
    return sendJson(res, 403, {
      error: {
        code: 'deviceauth_authorization_pending',
        message: 'The user has not approved this code yet.',
      },
    })
  }
  devices.delete(auth.deviceAuthId)
  const verifier = randomBytes(64).toString('base64url')
  const challenge = s256(verifier)
  const code = issueCode(state, {
    device: true,
    challenge,
    redirectUri: `${state.baseUrl}/deviceauth/callback`,
    identity: auth.identity,
  })
  sendJson(res, 200, { authorization_code: code, code_challenge: challenge, code_verifier: verifier })
}

/** `approveDevice()`: approve a pending code (the most recent one when `code` is omitted). */
export function approveDevice(state: EmulatorState, code?: string): boolean {
  let target: DeviceAuth | undefined
  for (const auth of state.issuer.devices.values()) {
    if (auth.approved || auth.expiresAt <= Date.now()) continue
    if (code === undefined) {
      if (!target || auth.createdAt >= target.createdAt) target = auth
    } else if (auth.userCode === code.trim().toUpperCase()) {
      target = auth
    }
  }
  if (!target) return false
  target.approved = true
  return true
}

/** `GET|POST /codex/device`: the page where a user types the one-time code. */
export function handleDevicePage(ex: Exchange): void {
  const { req, res } = ex
  if (req.method === 'POST') {
    const code = ex.body.form?.user_code ?? ''
    const ok = approveDevice(ex.state, code)
    sendHtml(
      res,
      ok ? 200 : 400,
      ok ? 'Device approved' : 'Unknown code',
      ok ? '<p>You can return to your terminal.</p>' : `<p>No pending device code ${escapeHtml(code)}.</p>`,
    )
    return
  }
  sendHtml(
    res,
    200,
    'Enter your one-time code',
    '<form method="post" action="/codex/device"><label>Code <input name="user_code" autocomplete="off"></label> <button type="submit">Continue</button></form>',
  )
}
