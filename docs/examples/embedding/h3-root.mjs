// The relay mounted at the root of an h3 app of your own: it answers /, /healthz, /v1/* and
// /no-tools/v1/*; every other request (and its 404, 405 or error) stays your app's.
import { createServer } from 'node:http'
import { loadConfig } from '@airelays/config'
import { createRelayApp } from '@airelays/server'
import { H3, toNodeHandler } from 'h3'

const { config, errors } = await loadConfig()
if (errors.length > 0) throw new Error(errors.map((error) => error.message).join('\n'))

const host = new H3()
host.get('/hello', () => ({ hello: 'from the host' }))
host.post('/echo', async (event) => ({ echo: await event.req.json() }))
host.mount('/', createRelayApp({ config }))

const port = Number(process.env.PORT ?? 3000)
createServer(toNodeHandler(host)).listen(port, '127.0.0.1', () => {
  console.log(`Listening on http://127.0.0.1:${port} (relay: http://127.0.0.1:${port}/v1)`)
})
