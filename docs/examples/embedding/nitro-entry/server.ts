// Nitro v3: the relay as the server entry; every request Nitro's own routes do not take goes to it.
import { loadConfig } from '@airelays/config'
import { createRelayApp } from '@airelays/server'

const { config, errors } = await loadConfig()
if (errors.length > 0) throw new Error(errors.map((error) => error.message).join('\n'))

export default createRelayApp({ config })
