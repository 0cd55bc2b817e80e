// Process entry of the `airelays` bin (bin/airelays.mjs imports the built dist/cli.js).
import { run } from './index'

process.exitCode = await run(process.argv.slice(2))

// Safety net: every command closes what it opened, but a stray keep-alive socket or native
// handle must not keep a finished CLI alive. The timer is unref'd, so a clean exit is not delayed.
setTimeout(() => process.exit(), 3000).unref()
