import {
  createUpstreamEmulator,
  type UpstreamEmulator,
  type UpstreamEmulatorOptions,
} from '@airelays/upstream-emulator'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeTime, NO_ENV_PROXY, rejectionOf } from './_test-helpers'
import { type DevicePendingInfo, startDeviceLogin } from './device-login'
import { isUpstreamError } from './errors'
import type { Sleep } from './types'

let emu: UpstreamEmulator | undefined

afterEach(async () => {
  await emu?.close()
  emu = undefined
})

async function emulator(options: UpstreamEmulatorOptions = {}): Promise<UpstreamEmulator> {
  emu = await createUpstreamEmulator(options)
  return emu
}

const polls = (e: UpstreamEmulator) => e.requests.filter((r) => r.route === 'device_token')

describe('startDeviceLogin', () => {
  it('polls at the string interval through pending 403s, then exchanges the code', async () => {
    const e = await emulator({ deviceInterval: '2', deviceAutoApproveAfterPolls: 2 })
    const time = fakeTime()
    const login = await startDeviceLogin({
      issuerUrl: e.url,
      clientId: e.clientId,
      proxy: NO_ENV_PROXY,
      ...time,
    })
    expect(login.verificationUrl).toBe(`${e.url}/codex/device`)
    expect(login.userCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    expect(login.intervalSeconds).toBe(2)
    expect(login.expiresAt.getTime()).toBe(time.clock() + 900_000)
    const pending: DevicePendingInfo[] = []
    const auth = await login.waitForCompletion({ onPending: (info) => pending.push(info) })
    expect(auth.bound_account_id).toBe('acct_emulator')
    expect(auth.tokens.refresh_token.length).toBeGreaterThan(10)
    expect(time.delays).toEqual([2000, 2000, 2000])
    expect(pending.map((p) => [p.polls, p.intervalSeconds, p.slowDown])).toEqual([
      [1, 2, false],
      [2, 2, false],
    ])
    expect(polls(e)[0]?.body).toEqual({ device_auth_id: expect.any(String), user_code: login.userCode })
    const exchange = e.requests.find((r) => r.route === 'token')
    const form = new URLSearchParams(String(exchange?.body))
    expect(form.get('redirect_uri')).toBe(`${e.url}/deviceauth/callback`)
    expect(form.get('grant_type')).toBe('authorization_code')
  })

  it.each([
    ['0', 5000],
    [3, 3000],
  ] as const)('treats interval %j as %i ms', async (interval, ms) => {
    const e = await emulator({ deviceInterval: interval, deviceAutoApproveAfterPolls: 0 })
    const time = fakeTime()
    const login = await startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY, ...time })
    await login.waitForCompletion()
    expect(time.delays).toEqual([ms])
  })

  it('slows down by 5 s on a 429 slow_down and keeps the longer interval', async () => {
    const e = await emulator({ deviceInterval: '1', deviceAutoApproveAfterPolls: 2 })
    e.script({ route: 'device_token', kind: 'http_error', status: 429, body: { error: 'slow_down' } })
    const time = fakeTime()
    const login = await startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY, ...time })
    const pending: DevicePendingInfo[] = []
    await login.waitForCompletion({ onPending: (info) => pending.push(info) })
    expect(time.delays).toEqual([1000, 6000, 6000, 6000])
    expect(pending[0]).toMatchObject({ slowDown: true, intervalSeconds: 6 })
  })

  it('treats {"error":"slow_down"} with another status as slow_down too', async () => {
    const e = await emulator({ deviceInterval: '1', deviceAutoApproveAfterPolls: 0 })
    e.script({ route: 'device_token', kind: 'http_error', status: 400, body: { error: 'slow_down' } })
    const time = fakeTime()
    const login = await startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY, ...time })
    await login.waitForCompletion()
    expect(time.delays).toEqual([1000, 6000])
  })

  it.each([
    [120, 2],
    [30, 1],
  ])('gives up after %i s with the reference timeout message (N = %i)', async (seconds, minutes) => {
    const e = await emulator({ deviceInterval: '5', deviceAutoApproveAfterPolls: null })
    const time = fakeTime()
    const login = await startDeviceLogin({
      issuerUrl: e.url,
      proxy: NO_ENV_PROXY,
      loginTimeoutSeconds: seconds,
      ...time,
    })
    const error = await rejectionOf(login.waitForCompletion())
    expect(isUpstreamError(error) && error.code).toBe('device_login_timeout')
    expect((error as Error).message).toBe(
      `Device-code login was not approved within ${minutes} minute(s). The code may have expired or the request was denied; run \`airelays login --device\` to get a fresh code.`,
    )
    expect(time.delays.reduce((a, b) => a + b, 0)).toBe(seconds * 1000)
    expect(polls(e)).toHaveLength(seconds / 5)
    expect(e.requests.some((r) => r.route === 'token')).toBe(false)
  })

  it('says device login is not enabled when the usercode endpoint answers 404', async () => {
    const e = await emulator()
    e.script({ route: 'device_usercode', kind: 'http_error', status: 404 })
    const error = await rejectionOf(startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY }))
    expect(isUpstreamError(error) && error.code).toBe('device_login_disabled')
    expect((error as Error).message).toBe('Device-code login is not enabled for this server.')
  })

  it('accepts the older "usercode" alias and reports a payload without any code', async () => {
    const e = await emulator({ deviceAutoApproveAfterPolls: 0 })
    e.script({
      route: 'device_usercode',
      kind: 'http_error',
      status: 200,
      body: { device_auth_id: 'deviceauth_x', usercode: 'ABCD-EFGH', interval: 1 },
    })
    const login = await startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY, ...fakeTime() })
    expect(login.userCode).toBe('ABCD-EFGH')
    expect(login.intervalSeconds).toBe(1)
    await login.cancel()

    // A missing interval means 5 s.
    e.script({
      route: 'device_usercode',
      kind: 'http_error',
      status: 200,
      body: { device_auth_id: 'deviceauth_y', user_code: 'WXYZ-2345' },
    })
    const noInterval = await startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY, ...fakeTime() })
    expect(noInterval.intervalSeconds).toBe(5)
    await noInterval.cancel()

    e.script({ route: 'device_usercode', kind: 'http_error', status: 200, body: { device_auth_id: 'x' } })
    const error = await rejectionOf(startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY }))
    expect(isUpstreamError(error) && error.code).toBe('device_login_unexpected_payload')
    expect((error as Error).message).toBe('Device-code login returned an unexpected payload (no user code).')
  })

  it('ends on any other status >= 400 with the reference message', async () => {
    const e = await emulator({ deviceInterval: '1', deviceAutoApproveAfterPolls: null })
    e.script({ route: 'device_token', kind: 'http_error', status: 500 })
    const login = await startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY, ...fakeTime() })
    const error = await rejectionOf(login.waitForCompletion())
    expect(isUpstreamError(error) && error.code).toBe('device_login_failed')
    expect((error as Error).message).toBe(
      'Device-code login failed upstream (status 500). Request a fresh code with `airelays login --device`.',
    )
    expect(polls(e)).toHaveLength(1)
  })

  it("names the host tool's own login hint when `loginHint` is set", async () => {
    const e = await emulator({ deviceInterval: '1', deviceAutoApproveAfterPolls: null })
    e.script({ route: 'device_token', kind: 'http_error', status: 500 })
    const hint = 'Run `mytool auth --device` for a new code.'
    const login = await startDeviceLogin({
      issuerUrl: e.url,
      proxy: NO_ENV_PROXY,
      loginHint: hint,
      ...fakeTime(),
    })
    const failed = await rejectionOf(login.waitForCompletion())
    expect((failed as Error).message).toBe(`Device-code login failed upstream (status 500). ${hint}`)

    const slow = await startDeviceLogin({
      issuerUrl: e.url,
      proxy: NO_ENV_PROXY,
      loginHint: hint,
      loginTimeoutSeconds: 60,
      ...fakeTime(),
    })
    const timeout = await rejectionOf(slow.waitForCompletion())
    expect((timeout as Error).message).toBe(
      `Device-code login was not approved within 1 minute(s). The code may have expired or the request was denied. ${hint}`,
    )
  })

  it('classifies an unreachable issuer as transient (502), not as a login problem', async () => {
    const e = await emulator()
    const url = e.url
    await e.close()
    emu = undefined
    const error = await rejectionOf(startDeviceLogin({ issuerUrl: url, proxy: NO_ENV_PROXY }))
    expect(isUpstreamError(error) && [error.code, error.kind, error.status]).toEqual([
      'device_login_failed',
      'transient',
      502,
    ])
    expect((error as Error).message).toMatch(/^Device-code login failed: /)
  })

  it('cancel() stops a wait that is sleeping', async () => {
    const e = await emulator({ deviceAutoApproveAfterPolls: null })
    let started!: () => void
    const sleeping = new Promise<void>((resolve) => {
      started = resolve
    })
    const sleep: Sleep = (_ms, signal) =>
      new Promise((_resolve, reject) => {
        started()
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    const login = await startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY, sleep })
    const waiting = rejectionOf(login.waitForCompletion())
    await sleeping
    await login.cancel()
    const error = await waiting
    expect(isUpstreamError(error) && error.code).toBe('login_cancelled')
    expect(polls(e)).toHaveLength(0)
  })

  it('honours the real default interval when no sleep is injected (cadence check with a 1 s interval)', async () => {
    const e = await emulator({ deviceInterval: 1, deviceAutoApproveAfterPolls: 1 })
    const login = await startDeviceLogin({ issuerUrl: e.url, proxy: NO_ENV_PROXY })
    await login.waitForCompletion()
    const times = polls(e).map((r) => r.receivedAt)
    expect(times).toHaveLength(2)
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(990)
  })
})
