/**
 * True when `ip` is a loopback address: IPv4 `127.0.0.0/8`, IPv6 `::1` (any spelling, e.g.
 * `0:0:0:0:0:0:0:1`), or an IPv4-mapped loopback such as `::ffff:127.0.0.1` / `::ffff:7f00:1`.
 * Surrounding brackets (`[::1]`) and an IPv6 zone (`::1%lo0`) are accepted.
 *
 * Anything else, including `"unknown"`, `"localhost"`, empty strings, strings with surrounding
 * whitespace and malformed addresses, is not loopback. Never throws.
 */
export function isLoopback(ip: string): boolean {
  if (typeof ip !== 'string' || ip.length === 0 || ip.length > 64) return false
  let s = ip
  if (s.charCodeAt(0) === 91 /* [ */) {
    if (s.charCodeAt(s.length - 1) !== 93 /* ] */) return false
    s = s.slice(1, -1)
  }
  if (s.indexOf(':') === -1) {
    const octets = parseIPv4(s)
    return octets !== null && octets[0] === 127
  }
  const zone = s.indexOf('%')
  if (zone !== -1) s = s.slice(0, zone)
  const g = parseIPv6(s)
  if (g === null) return false
  if (g[0] !== 0 || g[1] !== 0 || g[2] !== 0 || g[3] !== 0 || g[4] !== 0) return false
  if (g[5] === 0 && g[6] === 0 && g[7] === 1) return true // ::1
  return g[5] === 0xffff && g[6]! >> 8 === 127 // ::ffff:127.x.y.z
}

/**
 * True when `host` (a host name or address, as in a `Host` header without its port, a URL host
 * name or a listen address such as `config.server.host`) names this machine's loopback interface:
 * `localhost`, `*.localhost`, or any address {@link isLoopback} accepts, including the IPv4-mapped
 * forms `::ffff:127.0.0.1` and `::ffff:7f00:1`, bare or in brackets. Case, surrounding whitespace
 * and one trailing dot (`localhost.`) are ignored. Wildcards (`0.0.0.0`, `::`), LAN addresses
 * and other names are not loopback. Never throws.
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

function parseIPv4(s: string): number[] | null {
  const parts = s.split('.')
  if (parts.length !== 4) return null
  const out: number[] = []
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null
    const n = Number(part)
    if (n > 255) return null
    out.push(n)
  }
  return out
}

function parseGroups(parts: string[], allowTrailingIPv4: boolean): number[] | null {
  const out: number[] = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    if (allowTrailingIPv4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part)
      if (v4 === null) return null
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null
      out.push(Number.parseInt(part, 16))
    }
  }
  return out
}

function parseIPv6(s: string): number[] | null {
  const gap = s.indexOf('::')
  if (gap === -1) {
    const groups = parseGroups(s.split(':'), true)
    return groups !== null && groups.length === 8 ? groups : null
  }
  if (s.indexOf('::', gap + 1) !== -1) return null
  const headText = s.slice(0, gap)
  const tailText = s.slice(gap + 2)
  const head = headText === '' ? [] : parseGroups(headText.split(':'), false)
  const tail = tailText === '' ? [] : parseGroups(tailText.split(':'), true)
  if (head === null || tail === null || head.length + tail.length > 7) return null
  const zeros = new Array<number>(8 - head.length - tail.length).fill(0)
  return [...head, ...zeros, ...tail]
}
