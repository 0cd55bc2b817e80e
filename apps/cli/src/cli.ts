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
  // Every command has finished its work when run() resolves. Exiting here rather than letting
  // the event loop run dry skips Node's environment teardown (freeing the heap, waiting for V8's
  // background tasks): about 30 ms of CPU of a short command such as `status`. Only once stdout
  // and stderr are flushed (pipes are asynchronous on some platforms); else the loop drains them.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit()
  // Safety net: every command closes what it opened, but a stray keep-alive socket or native
  // handle must not keep a finished CLI alive. The timer is unref'd, so a clean exit is not delayed.
  setTimeout(() => process.exit(), 3000).unref()
}
