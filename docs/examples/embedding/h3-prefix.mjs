// An h3 app of your own with the relay under /ai: clients use http://127.0.0.1:3000/ai/v1.
// Login and relay token come from the same place as for `airelays serve` (see the guide).
import { createServer } from 'node:http'
import { loadConfig } from '@airelays/config'
import { createRelayApp } from '@airelays/server'
import { H3, toNodeHandler } from 'h3'

const { config, errors } = await loadConfig()
if (errors.length > 0) throw new Error(errors.map((error) => error.message).join('\n'))

const host = new H3()
host.get('/', () => ({ app: 'my host' })) // your own routes stay yours
host.mount('/ai', createRelayApp({ config }))

const port = Number(process.env.PORT ?? 3000)
createServer(toNodeHandler(host)).listen(port, '127.0.0.1', () => {
  console.log(`Listening on http://127.0.0.1:${port} (relay: http://127.0.0.1:${port}/ai/v1)`)
})
