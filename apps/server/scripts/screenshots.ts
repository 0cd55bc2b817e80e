// Screenshots of every dashboard page for the docs (docs/dashboard/*.png), taken in Chromium at a
// fixed viewport against a relay on the emulator with fixed usage figures and a few requests.
// Run: `pnpm --filter @airelays/server run screenshots` (AIRELAYS_SCREENSHOT_DIR overrides the folder).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { browserAvailable, enterToken, launchBrowser, watchedPage } from '../test/_browser'
import { startRelay } from '../test/_setup'

const OUT =
  process.env.AIRELAYS_SCREENSHOT_DIR ?? fileURLToPath(new URL('../../../docs/dashboard/', import.meta.url))
const VIEWPORT = { width: 1280, height: 800 }
const WAIT = { timeout: 20_000 }

it.skipIf(!browserAvailable)('takes a screenshot of every dashboard page', async () => {
  mkdirSync(OUT, { recursive: true })
  const h = await startRelay({ emulator: { deviceInterval: 0.1, deviceAutoApproveAfterPolls: null } })
  const browser = await launchBrowser()
  try {
    h.emu.setUsage({ primaryUsedPercent: 42, secondaryUsedPercent: 77 })
    const { page, problems } = await watchedPage(browser, new URL(h.url).origin, VIEWPORT)
    await page.emulateMedia({ reducedMotion: 'reduce' })
    await page.goto(`${h.url}/`, WAIT)
    await enterToken(page, h.token)
    const shoot = async (name: string, ready: () => Promise<unknown>): Promise<void> => {
      await page.getByRole('link', { name, exact: true }).click()
      await page.getByRole('heading', { level: 2, name }).waitFor(WAIT)
      await ready()
      await page.screenshot({ path: join(OUT, `${name.toLowerCase()}.png`), fullPage: true })
    }
    await shoot('Overview', () => page.locator('#models').waitFor(WAIT))
    await shoot('Traffic', async () => {
      await page.getByText('● live').waitFor(WAIT)
      // made while the page watches, so their redacted records are kept for the detail view
      const client = h.openai()
      for (const [model, content] of [
        ['gpt-5.5', 'Summarise the release notes'],
        ['gpt-5.4-mini', 'Name three prime numbers'],
        ['gpt-5.5', 'Write a haiku about relays'],
      ] as const) {
        await client.chat.completions.create({ model, messages: [{ role: 'user', content }] })
      }
      await page.locator('tbody tr').nth(2).waitFor(WAIT)
      await page.locator('tbody tr').first().click()
      await page.locator('#detail-records').waitFor(WAIT)
    })
    await shoot('Accounts', async () => {
      await page.getByRole('progressbar').first().waitFor(WAIT)
      await page.getByRole('button', { name: 'Add an account' }).click()
      await page.locator('#login-code').waitFor(WAIT)
    })
    await shoot('Setup', () => page.locator('#base-url').waitFor(WAIT))
    await shoot('Logs', () => page.locator('#log-size').waitFor(WAIT))
    expect(problems).toEqual([])
  } finally {
    await browser.close()
    await h.close()
  }
})
