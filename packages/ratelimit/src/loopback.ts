import { isLoopbackAddress } from './address'

/**
 * True when `ip` is a loopback address: IPv4 `127.0.0.0/8`, IPv6 `::1` (any spelling, e.g.
 * `0:0:0:0:0:0:0:1`), or an IPv4-mapped loopback such as `::ffff:127.0.0.1` / `::ffff:7f00:1`.
 * Surrounding brackets (`[::1]`) and an IPv6 zone (`::1%lo0`) are accepted, and so are the numeric
 * IPv4 forms the socket layer and URL parsers accept (`127.1`, `0x7f000001`, `2130706433`,
 * `0177.0.0.1`): the decision is made on the parsed address, never on its spelling.
 *
 * Anything else, including `"unknown"`, `"localhost"` (a name: resolve it first), empty strings,
 * strings with surrounding whitespace and malformed addresses, is not loopback. Never throws.
 */
export function isLoopback(ip: string): boolean {
  return isLoopbackAddress(ip)
}

/**
 * True when `host` (a host name or address, as in a `Host` header without its port, a URL host
 * name or a listen address such as `config.server.host`) names this machine's loopback interface:
 * `localhost`, `*.localhost`, or any address {@link isLoopback} accepts, including the IPv4-mapped
 * forms `::ffff:127.0.0.1` and `::ffff:7f00:1` and the numeric forms `127.1` and `0x7f000001`, bare
 * or in brackets. Case, surrounding whitespace and one trailing dot (`localhost.`) are ignored.
 * Wildcards (`0.0.0.0`, `::`), LAN addresses and other names are not loopback (a name that
 * resolves to loopback must be resolved by the caller). Never throws.
 *
 * The one loopback check of AIRelays: the relay's DNS-rebinding guard and the CLI's `serve`
 * warning both use it.
 */
export function isLoopbackHost(host: string): boolean {
  if (typeof host !== 'string') return false
  let name = host.trim().toLowerCase()
  if (name.endsWith('.')) name = name.slice(0, -1)
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  return isLoopback(name)
}
