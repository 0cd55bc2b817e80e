import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { isLoopback, isLoopbackHost } from '@airelays/ratelimit'

/** Every address a host name resolves to (`dns.lookup(name, { all: true })`). */
export type HostLookup = (hostname: string) => Promise<readonly { address: string }[]>

/** What the relay knows of the address it listens on, decided once at start. */
export interface BindJudgement {
  /** The address to listen on: a host name resolving to loopback only is replaced by its first address. */
  readonly address: string
  /** True when every address behind the bind host is loopback: the DNS-rebinding Host check is on. */
  readonly loopbackOnly: boolean
}

const lookupAll: HostLookup = (hostname) => lookup(hostname, { all: true })

/**
 * Judges the bind host (`config.server.host`, `--host`) once, for `serveRelay` and for the app a
 * host embeds alike (issue 26, item 8). Addresses are parsed, never compared as strings:
 * `127.1`, `0x7f000001` and `localhost` are loopback; any other name is looked up (every address)
 * and is loopback only when all of them are. A name that does not resolve keeps the Host check on
 * (the safe side: a listener cannot bind it either). Never rejects.
 */
export async function judgeBind(host: string, resolve: HostLookup = lookupAll): Promise<BindJudgement> {
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1')
  // An address (any spelling), a loopback name, or '' (every interface): no lookup needed.
  if (bare === '' || isIP(bare) !== 0 || isLoopbackHost(host)) {
    return { address: host, loopbackOnly: isLoopbackHost(host) }
  }
  try {
    const addresses = await resolve(bare)
    if (addresses.length > 0 && addresses.every((a) => isLoopback(a.address))) {
      return { address: (addresses[0] as { address: string }).address, loopbackOnly: true }
    }
    return { address: host, loopbackOnly: addresses.length === 0 }
  } catch {
    return { address: host, loopbackOnly: true }
  }
}
