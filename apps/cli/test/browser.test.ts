import { existsSync } from 'node:fs'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bindOnce, CliProcess, createSandbox, freePort, killAll, type Sandbox } from './_helpers'

// The browser login with a real browser: playwright-core drives the Chromium at CHROMIUM_PATH, else
// a system one (Debian's `apt-get install chromium`). Without one the test is skipped, visibly.
const chromium =
  process.env.CHROMIUM_PATH ||
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path))
const available = Boolean(chromium && existsSync(chromium))
if (!available) console.warn('browser login test skipped: install Chromium or set CHROMIUM_PATH to run it')

let emu: UpstreamEmulator
let box: Sandbox
beforeAll(async () => {
  emu = await createUpstreamEmulator()
  box = await createSandbox(emu)
})
afterAll(async () => {
  await killAll()
  await emu.close()
  await box.cleanup()
})

it.skipIf(!available)('a real browser completes `airelays login --browser`', async () => {
  const { chromium: launcher } = await import('playwright-core')
  const port = await freePort()
  const login = new CliProcess(
    ['login', '--browser'],
    box.env({ AIRELAYS_LOGIN_CALLBACK_PORT: String(port) }),
  )
  const [, url] = await login.waitFor(/^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m)
  const browser = await launcher.launch({ executablePath: chromium, args: ['--no-sandbox'] })
  try {
    const page = await browser.newPage()
    await page.goto(url as string, { timeout: 20_000 })
    await page.waitForURL(/^http:\/\/localhost:\d+\/auth\/callback\?/, { timeout: 20_000 })
    expect(await page.textContent('body')).toContain('Login completed')
  } finally {
    await browser.close()
  }
  const exit = await login.exited
  expect(exit.code, exit.stderr).toBe(0)
  expect(exit.stdout).toContain('  Email:            dev@example.com\n')
  await bindOnce(port)
})
