// The dashboard's browser harness: playwright-core drives the Chromium at CHROMIUM_PATH, else
// Debian's (`apt-get install chromium`, done by .ci/run). Used by the browser test and by
// `pnpm --filter @airelays/server run screenshots`.
import { existsSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'

/** The Chromium binary, or undefined when none is installed. */
export const chromiumPath: string | undefined =
  process.env.CHROMIUM_PATH ||
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path))

/** Whether a Chromium is there to drive. */
export const browserAvailable: boolean = Boolean(chromiumPath && existsSync(chromiumPath))

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--font-render-hinting=none',
]

/** Launch Chromium (headless, nothing in the background). */
export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({ executablePath: chromiumPath, args: ARGS })
}

/** A page whose console errors, page errors and requests to anything but `origin` are collected. */
export async function watchedPage(
  browser: Browser,
  origin: string,
  viewport = { width: 1280, height: 800 },
): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport })
  const problems: string[] = []
  const requests: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('request', (request) => {
    requests.push(`${request.method()} ${request.url()}`)
    if (!request.url().startsWith(`${origin}/`)) problems.push(`request left the relay: ${request.url()}`)
  })
  return { page, problems, requests }
}

/** Sign in at the token prompt. */
export async function enterToken(page: Page, token: string): Promise<void> {
  await page.getByLabel('Relay token').fill(token)
  await page.getByRole('button', { name: 'Open the dashboard' }).click()
}

/** Whether the document is wider than the viewport (a horizontal scroll bar). */
export async function overflows(page: Page): Promise<boolean> {
  return (await page.evaluate(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  )) as boolean
}
