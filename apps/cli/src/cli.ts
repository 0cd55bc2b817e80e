// Process entry of the `airelays` bin (bin/airelays.mjs imports the built dist/cli.js).
import { VERSION } from './version'

const argv = process.argv.slice(2)

// `airelays status | head -1` closes the pipe early: stop quietly instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exit(process.exitCode ?? 0)
  })
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  // The most common probe answers without loading the command parser.
  process.stdout.write(`airelays ${VERSION}\n`)
} else {
  const { run } = await import('./index')
  process.exitCode = await run(argv)
  // Safety net: every command closes what it opened, but a stray keep-alive socket or native
  // handle must not keep a finished CLI alive. The timer is unref'd, so a clean exit is not delayed.
  setTimeout(() => process.exit(), 3000).unref()
}
