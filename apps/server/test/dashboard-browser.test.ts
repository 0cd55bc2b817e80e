import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserAvailable, enterToken, launchBrowser, overflows, watchedPage } from './_browser'
import { type RelayHarness, startRelay } from './_setup'

// The dashboard in a real browser against a relay on the emulator. Without Chromium the tests are
// skipped, visibly. The tests share one page and run in order, as a user would go through it.
if (!browserAvailable) console.warn('dashboard browser tests skipped: install Chromium or set CHROMIUM_PATH')

const WAIT = { timeout: 20_000 }

let h: RelayHarness
let browser: Browser
let page: Page
let problems: string[]
let requests: string[]
let origin: string

async function go(name: string): Promise<void> {
  await page.getByRole('link', { name, exact: true }).click()
  await page.getByRole('heading', { level: 2, name }).waitFor(WAIT)
}

describe.skipIf(!browserAvailable)('the dashboard in Chromium', () => {
  beforeAll(async () => {
    h = await startRelay({
      emulator: { deviceInterval: 0.1, deviceAutoApproveAfterPolls: null },
      relay: { accountsReloadIntervalMs: 50 },
    })
    h.emu.setUsage({ primaryUsedPercent: 42, secondaryUsedPercent: 77 })
    h.emu.addAccount({ accountId: 'acct_second', email: 'second@example.com' })
    h.emu.setLoginAccount('acct_second')
    origin = new URL(h.url).origin
    browser = await launchBrowser()
    ;({ page, problems, requests } = await watchedPage(browser, origin))
  })
  afterAll(async () => {
    await browser?.close()
    await h?.close()
  })

  it('asks for the relay token and refuses a wrong one', async () => {
    await page.goto(`${h.url}/`, WAIT)
    await page.getByLabel('Relay token').waitFor(WAIT)
    await enterToken(page, 'not-the-token')
    await page.getByText('The relay refused that token.').waitFor(WAIT)
    await enterToken(page, h.token)
    await page.getByRole('heading', { level: 2, name: 'Overview' }).waitFor(WAIT)
  })

  it('shows the emulator’s usage as bars with reset countdowns', async () => {
    const fiveHour = page.getByRole('progressbar', { name: '5h used' })
    const weekly = page.getByRole('progressbar', { name: 'weekly used' })
    await fiveHour.waitFor(WAIT)
    expect(await fiveHour.getAttribute('aria-valuenow')).toBe('42')
    expect(await weekly.getAttribute('aria-valuenow')).toBe('77')
    await page
      .getByText(/resets in 1h 5\dm|resets in 2h 00m/)
      .first()
      .waitFor(WAIT)
    await page.locator('#models').waitFor(WAIT)
    expect(await page.getByText('within limits').count()).toBeGreaterThan(0)
  })

  it('lists a request made with the openai SDK live, from the event stream', async () => {
    await go('Traffic')
    await page.getByText('● live').waitFor(WAIT)
    const polledBefore = requests.filter((r) => r.endsWith('/v1/relay/traffic')).length
    await h.openai().chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'hello from the browser test' }],
    })
    const row = page.locator('tbody tr', { hasText: 'POST /v1/chat/completions' }).first()
    await row.waitFor(WAIT)
    // Pushed by the stream (the relay writes it as the request ends), not fetched by a poll.
    expect(requests.filter((r) => r.endsWith('/v1/relay/traffic')).length).toBe(polledBefore)
    expect(await row.textContent()).toContain('gpt-5.5')
    await row.focus()
    await page.keyboard.press('Enter')
    const detail = page.locator('#detail-records')
    await detail.waitFor(WAIT)
    const records = (await detail.textContent()) ?? ''
    expect(records).toContain('inbound_request')
    expect(records).toContain('hello from the browser test')
    expect(records).not.toContain(h.token)
    // the token stays in the tab: a reload needs no prompt
    await page.reload()
    await page.getByRole('heading', { level: 2, name: 'Traffic' }).waitFor(WAIT)
  })

  it('adds a second account with the device flow, reorders it and signs it out', async () => {
    await go('Accounts')
    await page.getByText('dev@example.com').first().waitFor(WAIT)
    await page.getByRole('button', { name: 'Add an account' }).click()
    const code = page.locator('#login-code')
    await code.waitFor(WAIT)
    expect(await page.locator('#login-link').getAttribute('href')).toBe(`${h.emu.url}/codex/device`)
    expect(await page.locator('#login-status').textContent()).toBe('Waiting for approval…')
    expect(h.emu.approveDevice((await code.textContent()) ?? '')).toBe(true)
    await page.getByText('Signed in as second@example.com.').waitFor(WAIT)
    const moveUp = page.getByRole('button', { name: 'Move second@example.com up' })
    await moveUp.waitFor(WAIT)
    await moveUp.click()
    await page
      .getByRole('button', { name: 'Move second@example.com down' })
      .and(page.locator(':enabled'))
      .waitFor(WAIT)
    const order = (await (await h.fetch('/v1/relay/accounts')).json()) as { data: { email: string }[] }
    expect(order.data.map((a) => a.email)).toEqual(['second@example.com', 'dev@example.com'])

    await page.getByRole('button', { name: 'Sign second@example.com out' }).click()
    await page.getByRole('button', { name: 'Confirm sign out' }).click()
    await page
      .getByRole('button', { name: 'Sign second@example.com out' })
      .waitFor({ state: 'detached', ...WAIT })
    const after = (await (await h.fetch('/v1/relay/accounts')).json()) as { data: { email: string }[] }
    expect(after.data.map((a) => a.email)).toEqual(['dev@example.com'])
    await page.getByRole('button', { name: 'Refresh limits' }).click()
    await page.getByRole('progressbar', { name: '5h used' }).first().waitFor(WAIT)
  })

  it('reads and changes the log retention on the Logs page', async () => {
    await go('Logs')
    await page.locator('#log-size').waitFor(WAIT)
    const days = page.getByLabel('Retention (days)')
    expect(await days.inputValue()).toBe('30')
    await days.fill('-1')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByText('`retention_days` must be a whole number').waitFor(WAIT)
    expect(await days.getAttribute('aria-invalid')).toBe('true')
    await days.fill('14')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByText(/^Saved\./).waitFor(WAIT)
    const settings = (await (await h.fetch('/v1/relay/logging')).json()) as { retention_days: number }
    expect(settings.retention_days).toBe(14)
    await page.reload()
    await page.getByLabel('Retention (days)').waitFor(WAIT)
    expect(await page.getByLabel('Retention (days)').inputValue()).toBe('14')
  })

  it('rotates the relay token after a confirmation; the old one is refused', async () => {
    await go('Setup')
    expect(await page.locator('#base-url').textContent()).toBe(`${h.url}/v1`)
    expect(await page.locator('#token-value').textContent()).not.toContain(h.token)
    await page.getByRole('button', { name: 'Rotate token' }).click()
    await page.getByRole('button', { name: 'Confirm rotation' }).click()
    await page.getByText(/^Rotated\./).waitFor(WAIT)
    const fresh = (await page.locator('#token-value').textContent()) ?? ''
    expect(fresh).not.toBe(h.token)
    const models = (key: string): Promise<Response> =>
      h.fetch('/v1/models', { headers: { authorization: `Bearer ${key}` } })
    expect((await models(h.token)).status).toBe(401)
    expect((await models(fresh)).status).toBe(200)
    // the tab goes on with the new token
    await go('Overview')
    await page.getByRole('progressbar', { name: '5h used' }).waitFor(WAIT)
  })

  it('is driven by the keyboard: the pages are links in the tab order', async () => {
    await page.getByRole('link', { name: 'Logs', exact: true }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 2, name: 'Logs' }).waitFor(WAIT)
    expect(await page.getByRole('link', { name: 'Logs', exact: true }).getAttribute('aria-current')).toBe(
      'page',
    )
    for (const label of ['Retention (days)', 'Size budget (bytes)']) {
      expect(await page.getByLabel(label).count()).toBe(1)
    }
  })

  it('is readable 375 px wide: no page scrolls sideways', async () => {
    await page.setViewportSize({ width: 375, height: 800 })
    for (const name of ['Overview', 'Traffic', 'Accounts', 'Setup', 'Logs']) {
      await go(name)
      await page.locator('main > *').nth(1).waitFor(WAIT)
      expect({ name, overflows: await overflows(page) }).toEqual({ name, overflows: false })
    }
  })

  it('made no request off the relay and logged no console error', () => {
    expect(requests.length).toBeGreaterThan(0)
    expect(requests.every((r) => r.split(' ')[1]?.startsWith(`${origin}/`))).toBe(true)
    // The refused token (401) and the refused retention (400) are the only failed loads.
    const expected = /status of (401|400)/
    expect(problems.filter((p) => !expected.test(p))).toEqual([])
  })
})
