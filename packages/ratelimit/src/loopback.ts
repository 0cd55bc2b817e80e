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
