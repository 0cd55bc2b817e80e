import { parseArgs } from 'node:util'
import { createUpstreamEmulator } from './emulator'
import { isUpstreamEmulatorError } from './errors'
import type { UpstreamEmulatorOptions } from './types'

const USAGE = `Usage: airelays-upstream-emulator [options]

Runs the AIRelays upstream emulator (OAuth issuer + Codex backend) until SIGINT/SIGTERM.

Options:
  --port N       TCP port (default 0 = ephemeral)
  --host H       interface to bind (default 127.0.0.1)
  --events N     text deltas per answer (default: one per word)
  --gap-ms N     milliseconds between SSE events (default 0)
  --ttft-ms N    milliseconds before the first SSE event (default 0)
  --json         print {"url","backendUrl"} as JSON instead of the bare URL
  -h, --help     show this help`

function numberFlag(name: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} expects a non-negative ${integer ? 'integer' : 'number'}, got "${raw}".`)
  }
  return value
}

class UsageError extends Error {}

/**
 * Entry point of the `airelays-upstream-emulator` bin. Resolves with the exit code once the
 * emulator has been closed by a signal (or immediately for --help and usage errors).
 */
export async function runCli(
  argv: string[],
  io: {
    stdout: (line: string) => void
    stderr: (line: string) => void
    signals?: NodeJS.EventEmitter
  },
): Promise<number> {
  let options: UpstreamEmulatorOptions
  let json = false
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        events: { type: 'string' },
        'gap-ms': { type: 'string' },
        'ttft-ms': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
    if (values.help) {
      io.stdout(USAGE)
      return 0
    }
    json = values.json === true
    options = {}
    const port = numberFlag('port', values.port, true)
    if (port !== undefined) options.port = port
    if (values.host !== undefined) options.host = values.host
    const events = numberFlag('events', values.events, true)
    if (events !== undefined) options.events = events
    const gap = numberFlag('gap-ms', values['gap-ms'], false)
    if (gap !== undefined) options.gapMs = gap
    const ttft = numberFlag('ttft-ms', values['ttft-ms'], false)
    if (ttft !== undefined) options.ttftMs = ttft
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return 2
  }
  let emulator: Awaited<ReturnType<typeof createUpstreamEmulator>>
  try {
    emulator = await createUpstreamEmulator(options)
  } catch (error) {
    if (isUpstreamEmulatorError(error)) {
      io.stderr(error.message)
      return error.code === 'emulator_invalid_option' ? 2 : 1
    }
    throw error
  }
  io.stdout(json ? JSON.stringify({ url: emulator.url, backendUrl: emulator.backendUrl }) : emulator.url)
  const signals = io.signals ?? process
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      signals.off('SIGINT', stop)
      signals.off('SIGTERM', stop)
      resolve()
    }
    signals.on('SIGINT', stop)
    signals.on('SIGTERM', stop)
  })
  await emulator.close()
  return 0
}
