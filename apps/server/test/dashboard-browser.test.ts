import { existsSync } from 'node:fs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

// The dashboard in a real browser: playwright-core drives the Chromium at CHROMIUM_PATH, else
// Debian's (`apt-get install chromium`, done by .ci/run). Without one the test is skipped, visibly.
const chromium =
  process.env.CHROMIUM_PATH ||
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path))
const available = Boolean(chromium && existsSync(chromium))
if (!available)
  console.warn('dashboard browser test skipped: install Chromium or set CHROMIUM_PATH to run it')

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
/** Where the screenshots go (looked at by hand; not compared). */
const SHOTS = process.env.AIRELAYS_SCREENSHOT_DIR ?? '/tmp'

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay()
  h.emu.setUsage({ primaryUsedPercent: 42, secondaryUsedPercent: 77 })
})
afterAll(() => h?.close())

it.skipIf(!available)(
  'shows usage, live traffic and a request’s detail in Chromium',
  async () => {
    const { chromium: launcher } = await import('playwright-core')
    const browser = await launcher.launch({ executablePath: chromium, args: ARGS })
    const problems: string[] = []
    const origin = new URL(h.url).origin
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`)
      })
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      page.on('request', (request) => {
        if (!request.url().startsWith(`${origin}/`)) problems.push(`request left the relay: ${request.url()}`)
      })

      // the token prompt
      await page.goto(`${h.url}/`, { timeout: 20_000 })
      const tokenField = page.getByLabel('Relay token')
      await tokenField.waitFor({ timeout: 20_000 })
      await tokenField.fill('not-the-token')
      await page.getByRole('button', { name: 'Open the dashboard' }).click()
      await page.getByText('The relay refused that token.').waitFor({ timeout: 20_000 })
      await page.getByLabel('Relay token').fill(h.token)
      await page.getByRole('button', { name: 'Open the dashboard' }).click()

      // Overview: the emulator's two windows, named by their length
      const fiveHour = page.getByRole('progressbar', { name: '5h used' })
      const weekly = page.getByRole('progressbar', { name: 'weekly used' })
      await fiveHour.waitFor({ timeout: 20_000 })
      expect(await fiveHour.getAttribute('aria-valuenow')).toBe('42')
      expect(await weekly.getAttribute('aria-valuenow')).toBe('77')
      await page
        .getByText(/resets in 1h 5\dm|resets in 2h 00m/)
        .first()
        .waitFor({ timeout: 20_000 })
      await page.locator('#models').waitFor({ timeout: 20_000 })
      await page.screenshot({ path: `${SHOTS}/airelays-dashboard-overview.png`, fullPage: true })

      // Traffic: a request through the relay appears live; its detail is the redacted record
      await page.getByRole('button', { name: 'Traffic' }).click()
      await page.getByText('● live').waitFor({ timeout: 20_000 })
      await h.openai().chat.completions.create({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'hello from the browser test' }],
      })
      const row = page.locator('tbody tr', { hasText: 'POST /v1/chat/completions' }).first()
      await row.waitFor({ timeout: 20_000 })
      expect(await row.textContent()).toContain('gpt-5.5')
      await row.click()
      const detail = page.locator('#detail-records')
      await detail.waitFor({ timeout: 20_000 })
      const records = (await detail.textContent()) ?? ''
      expect(records).toContain('inbound_request')
      expect(records).toContain('hello from the browser test')
      expect(records).not.toContain(h.token)
      await page.screenshot({ path: `${SHOTS}/airelays-dashboard-traffic.png`, fullPage: true })

      // the token stays in the tab: a reload needs no prompt
      await page.reload()
      await page.getByRole('button', { name: 'Traffic' }).waitFor({ timeout: 20_000 })

      // Accounts and Setup
      await page.getByRole('button', { name: 'Accounts' }).click()
      await page.getByText('dev@example.com').first().waitFor({ timeout: 20_000 })
      await page.screenshot({ path: `${SHOTS}/airelays-dashboard-accounts.png`, fullPage: true })
      await page.getByRole('button', { name: 'Setup' }).click()
      expect(await page.locator('#base-url').textContent()).toBe(`${h.url}/v1`)
      await page.screenshot({ path: `${SHOTS}/airelays-dashboard-setup.png`, fullPage: true })

      // readable at 375 px
      await page.setViewportSize({ width: 375, height: 800 })
      await page.getByRole('button', { name: 'Overview' }).click()
      await fiveHour.waitFor({ timeout: 20_000 })
      await page.screenshot({ path: `${SHOTS}/airelays-dashboard-narrow.png`, fullPage: true })
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375)

      // the one refused token attempt is the only expected console error (the 401 of the prompt)
      expect(problems.filter((p) => !p.includes('401'))).toEqual([])
    } finally {
      await browser.close()
    }
  },
  120_000,
)
