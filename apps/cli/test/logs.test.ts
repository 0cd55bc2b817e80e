import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { loadConfig } from '@airelays/config'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CliProcess, createSandbox, freePort, killAll, runCli, runJson, type Sandbox } from './_helpers'

// `airelays logs`: the traffic log's settings and size, changed in config.toml in place.

let box: Sandbox
beforeEach(async () => {
  box = await createSandbox()
})
afterEach(async () => {
  await killAll()
  await box.cleanup()
})

const CONFIG = '# hand-written\n[logging]\n# retention_days = 2\nretention_days = 30 # a month\n'

async function fileSettings() {
  const result = await loadConfig({
    flags: { config: box.configPath },
    env: {},
    homeDir: box.home,
    cwd: box.dir,
  })
  expect(result.errors).toEqual([])
  return result.config.logging
}

describe('airelays logs', () => {
  it('shows the directory, retention, size budget and size on disk', async () => {
    const hour = join(box.dataDir, 'logs', '2026', '12', '07', '03.log')
    await mkdir(dirname(hour), { recursive: true })
    await writeFile(hour, 'x'.repeat(2048))
    const port = await freePort()
    const env = box.env({ AIRELAYS_PORT: String(port) })
    const human = await runCli(['logs'], env)
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^AIRelays \S+ Logs\n/)
    expect(human.stdout).toContain(`  Directory:        ${join(box.dataDir, 'logs')}\n`)
    expect(human.stdout).toContain('  Retention:        30 days\n')
    expect(human.stdout).toContain('  Size budget:      1.0 GiB (1073741824 bytes)\n')
    expect(human.stdout).toContain('  Size on disk:     2.0 KiB\n')
    expect(human.stdout).toContain('  Files:            1\n')
    expect(human.stdout).not.toContain('\u001b[')

    const coloured = await runCli(['logs'], { ...env, NO_COLOR: '', FORCE_COLOR: '1' })
    expect(coloured.stdout).toContain('\u001b[1mTraffic Log\u001b[22m')

    const { result, json } = await runJson(['logs', '--json'], env)
    expect(result.code).toBe(0)
    expect(json).toEqual({
      logs_dir: join(box.dataDir, 'logs'),
      config_file: box.configPath,
      retention_days: 30,
      max_total_bytes: 1_073_741_824,
      size_bytes: 2048,
      file_count: 1,
      changed: [],
      overridden_by: [],
      relay: null,
    })
  })

  it('changes config.toml in place and says a stopped relay picks it up at its next start', async () => {
    await mkdir(dirname(box.configPath), { recursive: true })
    await writeFile(box.configPath, CONFIG)
    const env = box.env({ AIRELAYS_PORT: String(await freePort()) })
    const result = await runCli(['logs', '--retention-days', '7', '--max-size', '500MB'], env)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('  Retention:        7 days\n')
    expect(result.stdout).toContain(
      `Saved logging.retention_days, logging.max_total_bytes to ${box.configPath}.`,
    )
    expect(result.stdout).toContain('No relay is running; it picks the change up at its next start.')
    expect(await readFile(box.configPath, 'utf8')).toBe(
      '# hand-written\n[logging]\n# retention_days = 2\nretention_days = 7 # a month\nmax_total_bytes = 500000000\n',
    )
    expect(await fileSettings()).toMatchObject({ retention_days: 7, max_total_bytes: 500_000_000 })

    const { json } = await runJson(['logs', '--json', '--retention-days', '9'], {
      ...env,
      AIRELAYS_LOG_RETENTION_DAYS: '3',
    })
    expect(json).toMatchObject({
      changed: ['logging.retention_days'],
      overridden_by: ['AIRELAYS_LOG_RETENTION_DAYS'],
    })
  })

  it('refuses bad values without touching the file', async () => {
    await mkdir(dirname(box.configPath), { recursive: true })
    await writeFile(box.configPath, CONFIG)
    for (const args of [
      ['--retention-days=-1'],
      ['--retention-days', '1.5'],
      ['--max-size', 'big'],
      ['--max-size', '10'],
    ]) {
      const result = await runCli(['logs', ...args], box.env())
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toMatch(/--(retention-days|max-size) takes/)
    }
    expect(await readFile(box.configPath, 'utf8')).toBe(CONFIG)
  })

  it('applies the change to a running relay through its PUT route', async () => {
    const port = await freePort()
    const env = box.env({ AIRELAYS_PORT: String(port) })
    const { json: init } = await runJson<{ relay_token: string }>(['init', '--json'], env)
    const serve = new CliProcess(['serve'], env)
    await serve.waitFor(/AIRelays is listening on/)
    const { result, json } = await runJson(['logs', '--json', '--retention-days', '5'], env)
    expect(result.code, result.stderr).toBe(0)
    expect(json).toMatchObject({
      retention_days: 5,
      changed: ['logging.retention_days'],
      relay: { url: `http://127.0.0.1:${port}`, running: true, applied: true, reason: null },
    })
    const live = await fetch(`http://127.0.0.1:${port}/v1/relay/logging`, {
      headers: { authorization: `Bearer ${init.relay_token}` },
    })
    expect(await live.json()).toMatchObject({
      retention_days: 5,
      persistent: true,
      config_file: box.configPath,
    })
    expect(await fileSettings()).toMatchObject({ retention_days: 5 })

    // A wrong token: the file changes, the relay does not, and the user is told.
    const human = await runCli(['logs', '--retention-days', '6'], {
      ...env,
      AIRELAYS_BEARER_TOKEN: 'x'.repeat(43),
    })
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/The relay answered 401 \(.+\); it picks the change up at its next start\./)
    expect(await fileSettings()).toMatchObject({ retention_days: 6 })
    serve.kill('SIGTERM')
    await serve.exited
  })
})
