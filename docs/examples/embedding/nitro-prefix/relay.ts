// One relay for the whole Nitro server, created once.
import { loadConfig } from '@airelays/config'
import { createRelayApp } from '@airelays/server'

const { config, errors } = await loadConfig()
if (errors.length > 0) throw new Error(errors.map((error) => error.message).join('\n'))

export const relay = createRelayApp({ config })
