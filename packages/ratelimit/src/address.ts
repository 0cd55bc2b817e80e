// Client addresses: one parser for IPv4 and IPv6 text, shared by the loopback check, the limiter
// key, trusted-proxy matching and X-Forwarded-For (issue 26, items 3 and 8).
import { RateLimiterError } from './errors'

/** Longest address text looked at; anything longer is not an address. */
const MAX_ADDRESS_LENGTH = 64

/**
 * An address as eight 16-bit groups. IPv4 addresses are held IPv4-mapped (`::ffff:a.b.c.d`), so
 * `127.0.0.1` and `::ffff:127.0.0.1` are the same value.
 */
type Groups = number[]

const DECIMAL = /^(?:0|[1-9][0-9]*)$/
const OCTAL = /^0[0-7]+$/
const HEX = /^0[xX][0-9a-fA-F]*$/

/** One part of a numeric IPv4 host (decimal, `0`-prefixed octal or `0x` hex), or null. */
function ipv4Part(part: string): number | null {
  if (part.length === 0 || part.length > 12) return null
  if (DECIMAL.test(part)) return Number(part)
  if (OCTAL.test(part)) return Number.parseInt(part.slice(1), 8)
  if (HEX.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16)
  return null
}

/**
 * An IPv4 address as 32 bits. `strict` accepts only the dotted quad of four decimal octets; loose
 * mode also accepts what `inet_aton`, `getaddrinfo` and the WHATWG URL parser accept (`127.1`,
 * `0x7f000001`, `2130706433`, `0177.0.0.1`), because the socket layer binds and connects to those.
 */
function parseIPv4(text: string, strict: boolean): number | null {
  const parts = text.split('.')
  if (parts.length < 1 || parts.length > 4) return null
  if (strict) {
    if (parts.length !== 4) return null
    let value = 0
    for (const part of parts) {
      if (!/^\d{1,3}$/.test(part)) return null
      const n = Number(part)
      if (n > 255) return null
      value = value * 256 + n
    }
    return value
  }
  const numbers: number[] = []
  for (const part of parts) {
    const n = ipv4Part(part)
    if (n === null) return null
    numbers.push(n)
  }
  const last = numbers.pop()!
  let value = 0
  for (const n of numbers) {
    if (n > 255) return null
    value = value * 256 + n
  }
  const lastBytes = 4 - numbers.length
  if (last >= 256 ** lastBytes) return null
  return value * 256 ** lastBytes + last
}

function mapped(v4: number): Groups {
  return [0, 0, 0, 0, 0, 0xffff, Math.floor(v4 / 65536), v4 % 65536]
}

function parseGroupList(parts: string[], allowTrailingIPv4: boolean): Groups | null {
  const out: Groups = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    if (allowTrailingIPv4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part, true)
      if (v4 === null) return null
      out.push(Math.floor(v4 / 65536), v4 % 65536)
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null
      out.push(Number.parseInt(part, 16))
    }
  }
  return out
}

function parseIPv6(text: string): Groups | null {
  const gap = text.indexOf('::')
  if (gap === -1) {
    const groups = parseGroupList(text.split(':'), true)
    return groups !== null && groups.length === 8 ? groups : null
  }
  if (text.indexOf('::', gap + 1) !== -1) return null
  const headText = text.slice(0, gap)
  const tailText = text.slice(gap + 2)
  const head = headText === '' ? [] : parseGroupList(headText.split(':'), false)
  const tail = tailText === '' ? [] : parseGroupList(tailText.split(':'), true)
  if (head === null || tail === null || head.length + tail.length > 7) return null
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
}

/**
 * Parses address text: IPv4 (loose numeric forms too), IPv6 in any spelling, in brackets or not,
 * with or without a zone (`%lo0`, IPv6 only). Null for anything else (host names, whitespace,
 * CIDR suffixes, ports).
 */
function parseAddress(text: unknown): Groups | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_ADDRESS_LENGTH) return null
  let s = text
  if (s.charCodeAt(0) === 91 /* [ */) {
    if (s.charCodeAt(s.length - 1) !== 93 /* ] */) return null
    s = s.slice(1, -1)
  }
  if (s.indexOf(':') === -1) {
    if (s !== text) return null // brackets are for IPv6 only
    const v4 = parseIPv4(s, false)
    return v4 === null ? null : mapped(v4)
  }
  const zone = s.indexOf('%')
  if (zone !== -1) {
    if (zone === s.length - 1) return null
    s = s.slice(0, zone)
  }
  return parseIPv6(s)
}

function isMappedIPv4(g: Groups): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff
}

function formatGroups(g: Groups): string {
  if (isMappedIPv4(g)) {
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`
  }
  // RFC 5952: lower case, the longest run (first on a tie) of two or more zero groups becomes `::`.
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = g.map((n) => n.toString(16))
  if (bestStart === -1) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

/**
 * The canonical text of an IP address, or null when `text` is not one. IPv4 (including the loose
 * numeric forms `127.1`, `0x7f000001`, `2130706433`) and IPv4-mapped IPv6 (`::ffff:10.0.0.1`)
 * become dotted quads; other IPv6 addresses become RFC 5952 text without brackets or zone.
 * Never throws.
 *
 * @example canonicalAddress('0x7f000001') // '127.0.0.1'
 * @example canonicalAddress('[0:0:0:0:0:0:0:1]') // '::1'
 */
export function canonicalAddress(text: string): string | null {
  const g = parseAddress(text)
  return g === null ? null : formatGroups(g)
}

/** The limiter key of every loopback client. */
export const LOOPBACK_KEY: string = '127.0.0.1'

function loopbackGroups(g: Groups): boolean {
  if (isMappedIPv4(g)) return g[6]! >> 8 === 127
  return (
    g[0] === 0 &&
    g[1] === 0 &&
    g[2] === 0 &&
    g[3] === 0 &&
    g[4] === 0 &&
    g[5] === 0 &&
    g[6] === 0 &&
    g[7] === 1
  )
}

/** True when `text` parses (see {@link canonicalAddress}) to a loopback address. */
export function isLoopbackAddress(text: string): boolean {
  const g = parseAddress(text)
  return g !== null && loopbackGroups(g)
}

/**
 * The limiter key of a client address: every loopback address (`127.0.0.0/8`, `::1`, their mapped
 * and numeric spellings) is the single key `127.0.0.1`, so a local process cannot multiply its
 * buckets and failure counters by cycling through `127.x.y.z`; other addresses are their canonical
 * text; text that is not an address is returned unchanged.
 */
export function clientKey(address: string): string {
  const g = parseAddress(address)
  if (g === null) return address
  return loopbackGroups(g) ? LOOPBACK_KEY : formatGroups(g)
}

/** A compiled list of addresses and CIDR ranges; see {@link createAddressMatcher}. */
export type AddressMatcher = (address: string) => boolean

/**
 * Compiles a list of addresses and CIDR ranges (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`)
 * into a predicate. IPv4 entries also match the IPv4-mapped IPv6 spelling of the same address.
 * Throws a {@link RateLimiterError} (`ratelimit_invalid_option`, option `trustedProxies`) naming
 * the first entry that is neither.
 */
export function createAddressMatcher(entries: readonly string[]): AddressMatcher {
  const ranges: Array<{ groups: Groups; bits: number }> = []
  for (const raw of entries) {
    const entry = typeof raw === 'string' ? raw.trim() : ''
    const slash = entry.indexOf('/')
    const addressText = slash === -1 ? entry : entry.slice(0, slash)
    const groups = addressText.includes(':') ? parseAddress(addressText) : strictV4(addressText)
    let bits = 128
    if (slash !== -1) {
      const prefix = entry.slice(slash + 1)
      const max = groups !== null && isMappedIPv4(groups) && !addressText.includes(':') ? 32 : 128
      bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1
      if (bits < 0 || bits > max) bits = -1
      else if (max === 32) bits += 96
    }
    if (groups === null || bits < 0) {
      throw new RateLimiterError(
        'ratelimit_invalid_option',
        'trustedProxies',
        `Invalid trusted proxy ${JSON.stringify(String(raw)).slice(0, 80)}: use an IP address or a CIDR range such as 10.0.0.0/8.`,
      )
    }
    ranges.push({ groups, bits })
  }
  return (address: string): boolean => {
    const g = parseAddress(address)
    if (g === null) return false
    return ranges.some((range) => inRange(g, range.groups, range.bits))
  }
}

function strictV4(text: string): Groups | null {
  const v4 = parseIPv4(text, true)
  return v4 === null ? null : mapped(v4)
}

function inRange(g: Groups, base: Groups, bits: number): boolean {
  for (let i = 0; i < 8; i++) {
    const take = Math.min(Math.max(bits - i * 16, 0), 16)
    if (take === 0) return true
    const mask = (0xffff << (16 - take)) & 0xffff
    if ((g[i]! & mask) !== (base[i]! & mask)) return false
  }
  return true
}

/** Options of {@link forwardedClientAddress}. */
export interface ForwardedForOptions {
  /**
   * Addresses and CIDR ranges of your proxies. When non-empty, the chain (the `X-Forwarded-For`
   * entries, then the socket peer) is read from the right, skipping every trusted entry; the first
   * untrusted one is the client. A socket peer that is not trusted is the client itself.
   * @default []
   * Config `[security] trusted_proxies`, env `AIRELAYS_TRUSTED_PROXIES`.
   */
  trustedProxies?: readonly string[] | AddressMatcher
  /**
   * Used when `trustedProxies` is empty: how many proxies stand in front of the relay (the socket
   * peer is the first). The client is the entry that many hops left of the socket peer, or the
   * leftmost entry when the chain is shorter. Whole number ≥ 1.
   * @default 1
   * Config `[security] trusted_proxy_count`, env `AIRELAYS_TRUSTED_PROXY_COUNT`.
   */
  trustedProxyCount?: number
}

/**
 * The client address behind appending proxies (nginx `proxy_add_x_forwarded_for`, HAProxy,
 * Caddy): entries a client writes itself sit on the **left** of `X-Forwarded-For`, so the header is
 * read from the right and only past proxies you trust. Returns the canonical address (see
 * {@link canonicalAddress}); an entry that is not an address ends the walk at the trusted hop to its
 * right, so garbage cannot mint fresh limiter keys. Never throws (except for an invalid
 * `trustedProxies` list, see {@link createAddressMatcher}).
 *
 * @param peer the socket's remote address
 * @param forwardedFor the `X-Forwarded-For` header (all values joined with `,`), or null
 */
export function forwardedClientAddress(
  peer: string,
  forwardedFor: string | null | undefined,
  options: ForwardedForOptions = {},
): string {
  const peerText = canonicalAddress(peer) ?? peer
  if (typeof forwardedFor !== 'string' || forwardedFor.length === 0) return peerText
  const entries = forwardedFor.length > 8192 ? forwardedFor.slice(-8192).split(',') : forwardedFor.split(',')
  const chain = [...entries.map((e) => e.trim()), peerText]
  const proxies = options.trustedProxies ?? []
  let index: number
  if (typeof proxies === 'function' || proxies.length > 0) {
    const trusted = typeof proxies === 'function' ? proxies : createAddressMatcher(proxies)
    index = chain.length - 1
    while (index > 0 && trusted(chain[index]!)) index--
  } else {
    const count = options.trustedProxyCount ?? 1
    const hops = Number.isInteger(count) && count >= 1 ? count : 1
    index = Math.max(chain.length - 1 - hops, 0)
  }
  for (let i = index; i < chain.length; i++) {
    const address = canonicalAddress(chain[i]!)
    if (address !== null) return address
  }
  return peerText
}
