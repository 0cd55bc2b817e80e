// Fuzz pass over every route: malformed, oversized, wrongly typed and unicode-edge requests and
// headers, from a fixed seed (deterministic and bounded). Pass: no 5xx except upstream-class
// answers the emulator really caused, no crash, the OpenAI envelope on every non-2xx answer,
// x-request-id on every answer, and a healthy relay afterwards.

import { closeAll, sleep } from '@airelays/test-utils'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildChild, removeChildBuild, startChild, stopChildren } from './_child-harness'
import { chatBody, isEnvelope, JSON_HEADERS, type RelayHarness, startRelay } from './_harness'
import { frameRequest, type RawResponse, rawRequest } from './_raw-http'

const SEED = Number(process.env.AIRELAYS_FUZZ_SEED ?? 0xb11f022)
const APP_CASES = 2400
const PROTOCOL_CASES = 160
const OUTSIDE_CASES = 600
const KiB = 1024

/** mulberry32: small, fast, seedable. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T
  const chance = (p: number): boolean => next() < p
  return { next, int, pick, chance }
}
type Rng = ReturnType<typeof prng>

const UNICODE_EDGES = [
  '',
  ' ',
  'é',
  '🌍',
  '👩‍👩‍👧‍👦',
  '\u0000',
  '\u001b[31m',
  '\r\n',
  '\u2028\u2029',
  '\ufeff',
  '\u202e',
  '\ud800',
  '\udfff',
  '\uffff',
  'ﬀ',
  'İ',
  '𝕳𝖊𝖑𝖑𝖔',
  '"},{"',
  '\\',
  '../../etc/passwd',
  '%00',
  ['$', '{jndi:ldap://x}'].join(''),
  '<script>',
  "'; DROP TABLE files; --",
]

function weirdString(r: Rng): string {
  switch (r.int(6)) {
    case 0:
      return r.pick(UNICODE_EDGES)
    case 1:
      return r.pick(UNICODE_EDGES).repeat(1 + r.int(50))
    case 2:
      return 'x'.repeat(r.pick([1, 255, 256, 4096, 70_000]))
    case 3:
      return Array.from({ length: 1 + r.int(8) }, () => r.pick(UNICODE_EDGES)).join('')
    case 4:
      return r.pick([
        'gpt-5.5',
        'gpt-5.4-mini',
        'claude:sonnet',
        'claude-3',
        'codex-auto-review',
        'GPT-5.5',
        'gpt-5.5 ',
      ])
    default:
      return String.fromCharCode(...Array.from({ length: 1 + r.int(20) }, () => r.int(0x10000)))
  }
}

function weirdValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 6 : 9)) {
    case 0:
      return null
    case 1:
      return r.chance(0.5)
    case 2:
      return r.pick([0, -1, 1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MIN_VALUE, 4294967296])
    case 3:
    case 4:
      return weirdString(r)
    case 5:
      return []
    case 6:
      return Array.from({ length: r.int(5) }, () => weirdValue(r, depth + 1))
    case 7: {
      const out: Record<string, unknown> = {}
      for (let i = r.int(5); i > 0; i--) out[weirdString(r).slice(0, 40)] = weirdValue(r, depth + 1)
      return out
    }
    default:
      return { type: weirdString(r), text: weirdValue(r, depth + 1) }
  }
}

const CHAT_FIELDS = [
  'model',
  'messages',
  'stream',
  'tools',
  'tool_choice',
  'temperature',
  'max_tokens',
  'n',
  'response_format',
  'stream_options',
  'user',
  'reasoning_effort',
  'parallel_tool_calls',
  'stop',
  'logprobs',
  'prompt_cache_key',
  'metadata',
  'store',
]
const RESPONSES_FIELDS = [
  'model',
  'input',
  'instructions',
  'stream',
  'tools',
  'tool_choice',
  'text',
  'reasoning',
  'include',
  'previous_response_id',
  'conversation',
  'store',
  'max_output_tokens',
  'truncation',
  'service_tier',
]

function baseBody(r: Rng, route: string): Record<string, unknown> {
  if (route.endsWith('chat/completions')) {
    return {
      model: 'gpt-5.5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Reply with exactly: ok' },
      ],
      stream: r.chance(0.3),
    }
  }
  if (route.endsWith('/completions'))
    return { model: 'gpt-5.5', prompt: 'Reply with exactly: ok', stream: r.chance(0.3) }
  if (route.endsWith('responses'))
    return { model: 'gpt-5.5', input: 'Reply with exactly: ok', stream: r.chance(0.3) }
  if (route.includes('conversations')) return { metadata: { topic: 'x' }, items: [] }
  return {}
}

function mutate(r: Rng, body: Record<string, unknown>, route: string): Record<string, unknown> {
  const fields = route.endsWith('responses') ? RESPONSES_FIELDS : CHAT_FIELDS
  const out: Record<string, unknown> = { ...body }
  for (let i = 1 + r.int(3); i > 0; i--) {
    const field = r.pick([...fields, ...Object.keys(out)])
    switch (r.int(5)) {
      case 0:
        delete out[field]
        break
      case 1:
        out[field] = weirdValue(r)
        break
      case 2:
        out[field] = null
        break
      case 3:
        if (Array.isArray(out.messages)) {
          out.messages = [
            ...(out.messages as unknown[]),
            {
              role: r.pick(['user', 'assistant', 'system', 'tool', 'developer', 'function', weirdString(r)]),
              content: r.chance(0.5)
                ? weirdValue(r)
                : [
                    {
                      type: r.pick([
                        'text',
                        'image_url',
                        'input_file',
                        'file',
                        'input_audio',
                        weirdString(r),
                      ]),
                      text: weirdValue(r),
                      image_url: weirdValue(r),
                      file: { file_id: weirdString(r), file_data: weirdString(r), filename: weirdString(r) },
                    },
                  ],
              ...(r.chance(0.3) ? { tool_calls: weirdValue(r), tool_call_id: weirdValue(r) } : {}),
            },
          ]
        } else out[field] = weirdValue(r)
        break
      default:
        out[field] = r.pick([
          { type: 'function', function: { name: weirdString(r), parameters: weirdValue(r) } },
          [{ type: 'function', name: 'f', parameters: { type: 'object', properties: weirdValue(r) } }],
          { type: 'json_schema', json_schema: { name: 'x', schema: weirdValue(r) } },
          { format: { type: 'json_schema', name: 'x', schema: weirdValue(r) } },
          { effort: weirdString(r) },
          [{ type: 'input_file', file_id: weirdString(r) }],
        ])
    }
  }
  return out
}

function deepNesting(depth: number): string {
  return `{"model":"gpt-5.5","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`
}

const MALFORMED_JSON = [
  '',
  ' ',
  '{',
  '}',
  'null',
  '[]',
  '"string"',
  '42',
  '{"model":',
  '{"model":"gpt-5.5",}',
  "{'model':'gpt-5.5'}",
  '{"model":NaN}',
  '{"model":Infinity}',
  '\ufeff{"model":"gpt-5.5","messages":[]}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"model":"gpt-5.5"}{"model":"gpt-5.5"}',
  '{"__proto__":{"polluted":true},"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}]}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}],"messages":"dup"}',
]

interface FuzzRequest {
  label: string
  method: string
  path: string
  headers: Record<string, string>
  body?: Buffer | string
}

const FILE_ID = 'file_0123456789abcdef0123456789abcdef'
const PATHS = [
  '/healthz',
  '/',
  '/v1/models',
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/responses',
  '/v1/files',
  `/v1/files/${FILE_ID}`,
  `/v1/files/${FILE_ID}/content`,
  '/v1/conversations',
  '/v1/conversations/conv_0123456789abcdef0123456789abcdef',
  '/v1/relay/status',
  '/v1/subscription/status',
  '/v1/account/rate_limits',
  '/v1/embeddings',
  '/v1/images/generations',
  '/v1/audio/transcriptions',
  '/v1/realtime/sessions',
  '/no-tools/v1/chat/completions',
  '/no-tools/v1/responses',
  '/no-tools/v1/completions',
  '/no-tools/v1/models',
  '/no-tools/v1/files',
  '/no-tools/v1/relay/status',
]
const UNKNOWN_PATHS = [
  '/v2/models',
  '/v1',
  '/v1/',
  '/v1/unknown',
  '/v1/chat',
  '/v1/chat/completions/extra',
  '//v1//models',
  '/v1/models/',
  '/V1/MODELS',
  '/v1/models/gpt-5.5',
  '/v1/%ZZ',
  '/v1/%00',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/v1/files/%2e%2e%2f%2e%2e%2fauth.json/content',
  '/no-tools',
  '/no-tools/v2/models',
  `/${'a'.repeat(6000)}`,
  '/favicon.ico',
  '/robots.txt',
  '/.env',
  '/v1/files/../../auth.json',
  '/v1/conversations/%F0%9F%8C%8D',
]
const METHODS = [
  'GET',
  'POST',
  'DELETE',
  'PUT',
  'PATCH',
  'HEAD',
  'OPTIONS',
  'PROPFIND',
  'PURGE',
  'MKCOL',
  'SEARCH',
]

function authHeader(r: Rng, token: string): Record<string, string> {
  if (r.chance(0.8)) return { authorization: `Bearer ${token}` }
  return r.pick<Record<string, string>>([
    {},
    { authorization: '' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer ' },
    { authorization: `bearer ${token}` },
    { authorization: `BEARER   ${token}   ` },
    { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` },
    { authorization: `Bearer ${token}, Bearer ${token}` },
    { authorization: `Bearer ${token.slice(1)}` },
    { authorization: `Bearer ${'é'.repeat(40)}` },
    { authorization: `Bearer ${'A'.repeat(10_000)}` },
    { authorization: token },
    { 'x-api-key': token },
  ])
}

function extraHeaders(r: Rng): Record<string, string> {
  const out: Record<string, string> = {}
  if (r.chance(0.3))
    out['x-request-id'] = r.pick([
      'client-id-1',
      '',
      ' ',
      'a'.repeat(300),
      'id with spaces',
      '\u00e9\u00e8',
      'ok.id:1-2_3',
    ])
  if (r.chance(0.2))
    out['x-forwarded-for'] = r.pick([
      '',
      'garbage',
      '1.2.3.4, , ,',
      '::1',
      '999.999.999.999',
      'x'.repeat(2000),
      '127.0.0.1',
    ])
  if (r.chance(0.1)) out['x-huge'] = 'h'.repeat(r.pick([1000, 8000, 12_000]))
  if (r.chance(0.1))
    out.accept = r.pick(['*/*', 'text/event-stream', 'application/xml', '', 'garbage/garbage;q=x'])
  if (r.chance(0.1)) out['accept-encoding'] = r.pick(['gzip, br', 'identity;q=0', 'x'.repeat(200)])
  if (r.chance(0.05)) out.origin = 'http://evil.example'
  if (r.chance(0.05)) out.host = r.pick(['evil.example', 'localhost:1', '[::1]', 'a'.repeat(300)])
  if (r.chance(0.05)) out.cookie = `session=${'c'.repeat(100)}`
  if (r.chance(0.05)) out.expect = '100-continue'
  return out
}

const BOUNDARY = 'fuzzboundary'

function multipartBody(r: Rng): { body: Buffer; contentType: string } {
  const part = (disposition: string, data: string, type?: string): string =>
    `--${BOUNDARY}\r\ncontent-disposition: ${disposition}\r\n${type ? `content-type: ${type}\r\n` : ''}\r\n${data}\r\n`
  const file = (): string =>
    part(
      `form-data; name="file"; filename="${r.pick(['a.txt', '', '../x', 'é.md', 'x'.repeat(300), '.htaccess', 'a\tb.txt'])}"`,
      r.pick(['hello', '', '\u0000\u0001\u0002', 'x'.repeat(r.int(300 * KiB)), '\ufeffbom text']),
      r.pick([
        undefined,
        'text/plain',
        'image/png',
        'application/pdf',
        'garbage',
        'text/plain; charset=utf-8',
      ]),
    )
  const close = `--${BOUNDARY}--\r\n`
  const variants = [
    () => `${file()}${close}`,
    () => `${part('form-data; name="purpose"', weirdString(r))}${file()}${close}`,
    () => `${file()}${file()}${close}`,
    () => `${part('form-data; name="other"', 'x')}${close}`,
    () => file(),
    () => `--${BOUNDARY}--\r\n`,
    () => '',
    () => `--wrong\r\ncontent-disposition: form-data; name="file"; filename="a"\r\n\r\nx\r\n--wrong--\r\n`,
    () => `${part('attachment; name="file"', 'x')}${close}`,
    () => `${part('form-data; name="file"; filename*=UTF-8\'\'%E2%82%AC.txt', 'euro')}${close}`,
    () => `--${BOUNDARY}\r\n${'x-h: v\r\n'.repeat(100)}\r\nx\r\n--${BOUNDARY}--\r\n`,
  ]
  const contentType = r.pick([
    `multipart/form-data; boundary=${BOUNDARY}`,
    `multipart/form-data; boundary=${BOUNDARY}`,
    `multipart/form-data; boundary=${BOUNDARY}`,
    'multipart/form-data',
    'multipart/form-data; boundary=',
    `multipart/mixed; boundary=${BOUNDARY}`,
    'application/json',
    'text/plain',
    `multipart/form-data; boundary="${BOUNDARY}"; charset=utf-8`,
  ])
  return { body: Buffer.from(r.pick(variants)(), 'utf8'), contentType }
}

function generate(r: Rng, token: string, index: number): FuzzRequest {
  const known = r.chance(0.85)
  let path = known ? r.pick(PATHS) : r.pick(UNKNOWN_PATHS)
  if (r.chance(0.15)) {
    path += `?${r.pick([
      'raw=true',
      'provider=claude',
      'provider=%00',
      'account=x',
      'purpose=%F0%9F%8C%8D',
      'limit=-1',
      'limit=abc&order=sideways',
      'after=file_x',
      `key=${token}`,
      'a=1&a=2&a=3',
      'x'.repeat(3000),
      '%ZZ=1',
    ])}`
  }
  const routeOf = path.split('?')[0] as string
  const isJsonPost =
    /(chat\/completions|\/completions|responses|conversations|embeddings|images|audio|realtime)/.test(routeOf)
  const method = r.chance(0.75)
    ? isJsonPost || routeOf.endsWith('/files')
      ? 'POST'
      : 'GET'
    : r.pick(METHODS)
  const headers: Record<string, string> = { ...authHeader(r, token), ...extraHeaders(r) }
  // Stay inside Node's 16 KiB header limit (beyond it is the protocol-level pass below).
  const headerBytes = (): number =>
    Object.entries(headers).reduce(
      (n, [k, v]) => n + k.length + Buffer.byteLength(v, 'latin1') + 4,
      path.length + 64,
    )
  if (headerBytes() > 15 * KiB) delete headers['x-huge']
  if (headerBytes() > 15 * KiB) headers.authorization = `Bearer ${'A'.repeat(4000)}`
  let body: Buffer | string | undefined
  let label = `${method} ${routeOf.slice(0, 60)}`
  if (method !== 'GET' && method !== 'HEAD') {
    if (routeOf.endsWith('/files') && method === 'POST' && r.chance(0.8)) {
      const m = multipartBody(r)
      body = m.body
      headers['content-type'] = m.contentType
      label += ' multipart'
    } else {
      switch (r.int(8)) {
        case 0:
          body = r.pick(MALFORMED_JSON)
          label += ' malformed-json'
          break
        case 1:
          body = JSON.stringify(weirdValue(r))
          label += ' random-json'
          break
        case 2:
          body = r.chance(0.5) ? deepNesting(r.pick([100, 1000, 5000])) : 'x'.repeat(600 * KiB)
          label += ' deep-or-oversized'
          break
        case 3:
          body = Buffer.from([
            0xff, 0xfe, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc,
          ])
          label += ' invalid-utf8'
          break
        default:
          body = JSON.stringify(mutate(r, baseBody(r, routeOf), routeOf))
          label += ' mutated'
      }
      if (!headers['content-type']) {
        headers['content-type'] = r.chance(0.8)
          ? 'application/json'
          : r.pick([
              'text/plain',
              'application/x-www-form-urlencoded',
              'multipart/form-data',
              'image/png',
              'application/json; charset=latin1',
              '',
              'application/json, text/plain',
            ])
      }
    }
  }
  return { label: `#${index} ${label}`, method, path, headers, ...(body === undefined ? {} : { body }) }
}

/**
 * Every route the relay serves outside `/v1` and `/no-tools/v1` (apps/server `routes/index.ts`):
 * the public pages and dashboard assets, and Claude Code's side routes. Each is fuzzed with every
 * method, with and without a wrong token, and as a prefix of generated paths.
 */
const OUTSIDE_ROUTES = [
  '/',
  '/healthz',
  '/dashboard/app.js',
  '/dashboard/app.css',
  '/api/hello',
  '/api/event_logging/batch',
  '/api/event_logging/v2/batch',
] as const
/** Answered without the gate: they show no account, token or path. */
const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  '/',
  '/healthz',
  '/dashboard/app.js',
  '/dashboard/app.css',
])
/** Claude Code's side routes: behind the browser checks and limits, but no token (telemetry no-ops). */
const SIDE_ROUTES: ReadonlySet<string> = new Set([
  '/api/hello',
  '/api/event_logging/batch',
  '/api/event_logging/v2/batch',
])
const OUTSIDE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const

const OUTSIDE_SEGMENTS = [
  'dashboard',
  'app.js',
  'app.css',
  'event_logging',
  'batch',
  'hello',
  'admin',
  'api',
  'v2',
  'V1',
  'v1.0',
  'no-tools',
  'healthz',
  'status',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '%00',
  '%ZZ',
  '.env',
  'favicon.ico',
  'robots.txt',
  'auth.json',
  'relay-token',
  'logs',
  'files',
  'metrics',
  'debug',
  'server-status',
  'wp-login.php',
  '%F0%9F%8C%8D',
  '%C3%A9',
  'a'.repeat(300),
  '~root',
  ';',
  '@',
]

/** A request to a path outside `/v1` and `/no-tools/v1`, with no token or a wrong one. */
function outsideRequest(r: Rng, token: string, index: number): FuzzRequest {
  const depth = 1 + r.int(4)
  let path = ''
  for (let i = 0; i < depth; i++) path += `/${r.pick(OUTSIDE_SEGMENTS)}`
  if (r.chance(0.25)) {
    // A real route, as it is or varied (trailing slash, case, dot segments, encodings, suffix).
    const route = r.pick([...OUTSIDE_ROUTES])
    path = r.pick([
      route,
      `${route}/`,
      route.toUpperCase(),
      `${route}/..`,
      `${route}/./x`,
      route.replace(/\//g, '%2F'),
      `${route}%00`,
      `/x/..${route}`,
      `${route}/${r.pick(OUTSIDE_SEGMENTS)}`,
    ])
    if (!path.startsWith('/')) path = `/${path}`
  }
  if (/^\/(no-tools\/)?v1(\/|$)/.test(path)) path = `/x${path}`
  if (r.chance(0.3))
    path += `?${r.pick(['q=1', `key=${token}`, 'x'.repeat(2000), 'a=%ZZ', `bearer=${token}`])}`
  const method = r.pick(['GET', ...OUTSIDE_METHODS])
  const headers: Record<string, string> = { ...extraHeaders(r) }
  if (headers['x-huge']) headers['x-huge'] = headers['x-huge'].slice(0, 8 * KiB)
  const auth = r.int(3)
  if (auth === 1) headers.authorization = `Bearer wrong-${index}`
  if (auth === 2) headers.authorization = r.pick(['Basic eDp5', 'Bearer', `bearer ${token.slice(1)}`])
  let body: string | undefined
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    body = r.pick(['{}', r.pick(MALFORMED_JSON), 'a=1&b=2', 'x'.repeat(64 * KiB)])
    headers['content-type'] = r.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain'])
  }
  return {
    label: `#${index} ${method} outside`,
    method,
    path,
    headers,
    ...(body === undefined ? {} : { body }),
  }
}

/**
 * Why an answer to a request without a valid token outside `/v1` is wrong, or null. Only the public
 * pages answer without the gate; Claude Code's side routes pass it without a token but answer
 * nothing; every other path gets 400, 401, 403 or 429 before any route (no 404 for an unknown path).
 */
function outsideVerdict(request: FuzzRequest, status: number): string | null {
  // The relay routes the normalised path (`/admin/..` is `/`), so judge by that.
  const route = new URL(`http://relay.test${request.path}`).pathname
  const trimmed = route.replace(/\/+$/, '') || '/'
  if (PUBLIC_ROUTES.has(trimmed)) return status >= 500 ? `answered ${status}` : null
  if (SIDE_ROUTES.has(trimmed)) return status >= 500 || status === 0 ? `answered ${status}` : null
  return [400, 401, 403, 429].includes(status) ? null : `answered ${status} without a valid token`
}

/** Claude Code's side routes answer errors in Anthropic's envelope (apps/server `errors/anthropic.ts`). */
function speaksAnthropic(request: FuzzRequest): boolean {
  const path = new URL(`http://relay.test${request.path}`).pathname
  return path === '/api/hello' || path.startsWith('/api/event_logging/')
}

function isAnthropicEnvelope(body: unknown): boolean {
  const b = body as { type?: unknown; error?: { type?: unknown; message?: unknown } } | null
  return b?.type === 'error' && typeof b.error?.type === 'string' && typeof b.error.message === 'string'
}

interface Outcome {
  request: FuzzRequest
  response: RawResponse | null
  upstream: { status?: number; abortedAt?: number; outcome?: string }[]
}

function problemsOf(o: Outcome): string[] {
  const problems: string[] = []
  const res = o.response
  if (!res) return ['no response (hang or connection dropped)']
  if (!res.headers['x-request-id']) problems.push('no x-request-id')
  const sent = o.request.headers['x-request-id']
  if (sent && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(sent) && res.headers['x-request-id'] !== sent)
    problems.push(`x-request-id not echoed (${res.headers['x-request-id']})`)
  if (res.status === 501) {
    // Documented: these routes (and non-OpenAI providers of subscription status) answer 501.
    const body = safeJson(res.body)
    const route = o.request.path.split('?')[0] as string
    const documented =
      /^\/(no-tools\/)?v1\/(embeddings|images\/[^/]+|audio\/[^/]+|realtime\/sessions)$/.test(route) ||
      /^\/(no-tools\/)?v1\/(subscription\/status|account\/rate_limits)$/.test(route)
    if (!(documented && isEnvelope(body) && body.error.type === 'unsupported_error'))
      problems.push(`undocumented 501 ${res.body.toString('utf8').slice(0, 200)}`)
  } else if (res.status >= 500) {
    const body = safeJson(res.body)
    const upstreamFailed = o.upstream.some(
      (u) => (u.status ?? 0) >= 400 || u.abortedAt !== undefined || u.outcome === 'destroyed',
    )
    const upstreamClass =
      [502, 503, 504].includes(res.status) &&
      isEnvelope(body) &&
      ['upstream_error', 'authentication_error'].includes(body.error.type)
    if (!(upstreamClass && upstreamFailed))
      problems.push(`5xx ${res.status} ${res.body.toString('utf8').slice(0, 200)}`)
  }
  if (res.status >= 400 && o.request.method !== 'HEAD') {
    const body = safeJson(res.body)
    if (speaksAnthropic(o.request) && isAnthropicEnvelope(body)) {
      // Anthropic's envelope has no param or code.
    } else if (!isEnvelope(body))
      problems.push(`non-2xx without the envelope: ${res.body.toString('utf8').slice(0, 200)}`)
    else {
      const keys = Object.keys(body.error)
      for (const key of ['message', 'type', 'param', 'code'])
        if (!keys.includes(key)) problems.push(`envelope without ${key}`)
    }
    if (!/^application\/json/.test(res.headers['content-type'] ?? ''))
      problems.push(`non-2xx content-type ${res.headers['content-type']}`)
  }
  return problems
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return null
  }
}

let h: RelayHarness
const unexpected: unknown[] = []
const onUnexpected = (error: unknown): void => {
  unexpected.push(error)
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnexpected)
  process.on('uncaughtException', onUnexpected)
  h = await startRelay({
    env: {
      AIRELAYS_RATE_LIMIT_BURST: '100000000',
      AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000000',
      AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '100000000',
      AIRELAYS_CONCURRENT_REQUESTS_PER_IP: '1000',
      AIRELAYS_MAX_UPLOAD_BYTES: String(256 * KiB),
      AIRELAYS_MAX_TOTAL_UPLOAD_BYTES: String(512 * 1024 * KiB),
    },
    relay: { maxJsonBodyBytes: 512 * KiB, trafficLog: true },
  })
})

afterAll(async () => {
  await closeAll()
  process.off('unhandledRejection', onUnexpected)
  process.off('uncaughtException', onUnexpected)
})

async function send(request: FuzzRequest, timeoutMs = 10_000): Promise<Outcome> {
  const before = h.emu.requests.length
  const wire = frameRequest(request.method, request.path, request.headers, request.body)
  const { response } = await rawRequest(h.url, wire, timeoutMs)
  const upstream = h.emu.requests.slice(before) as Outcome['upstream']
  return { request, response, upstream }
}

async function healthy(): Promise<void> {
  const health = await h.fetch('/healthz')
  expect(health.status).toBe(200)
  const res = await h.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: JSON_HEADERS,
    body: chatBody('Reply with exactly: still here'),
  })
  expect(res.status).toBe(200)
  const body = (await res.json()) as { choices: { message: { content: string } }[] }
  expect(body.choices[0]?.message.content).toBe('still here')
}

describe('fuzz', () => {
  it(`fuzz: ${APP_CASES} generated requests across every route (seed 0x${SEED.toString(16)})`, async () => {
    console.info(`fuzz seed 0x${SEED.toString(16)} (set AIRELAYS_FUZZ_SEED to replay another)`)
    const unexpectedBefore = unexpected.length
    const r = prng(SEED)
    const failures: string[] = []
    const statuses = new Map<number, number>()
    for (let i = 0; i < APP_CASES; i++) {
      const request = generate(r, h.token, i)
      const outcome = await send(request)
      const status = outcome.response?.status ?? 0
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      for (const problem of problemsOf(outcome))
        failures.push(`${request.label} ${request.path.slice(0, 80)}: ${problem}`)
    }
    console.info(
      `fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
    )
    expect(failures.slice(0, 30)).toEqual([])
    expect(unexpected.slice(unexpectedBefore).map(String)).toEqual([])
    await healthy()
  }, 240_000)

  const protocolAnswers: { label: string; response: RawResponse }[] = []

  it(`fuzz: ${PROTOCOL_CASES} malformed HTTP messages: no 5xx, no crash, healthy after (seed 0x${SEED.toString(16)})`, async () => {
    const unexpectedBefore = unexpected.length
    const r = prng(SEED ^ 0x5a5a5a5a)
    const token = h.token
    const auth = `authorization: Bearer ${token}\r\n`
    const cases: { label: string; wire: string | Buffer }[] = [
      { label: 'unknown method', wire: `FROB /v1/models HTTP/1.1\r\nhost: x\r\n${auth}\r\n` },
      { label: 'lowercase method', wire: `get /healthz HTTP/1.1\r\nhost: x\r\n\r\n` },
      { label: 'HTTP/1.0', wire: `GET /healthz HTTP/1.0\r\n\r\n` },
      { label: 'HTTP/2.0 line', wire: `GET /healthz HTTP/2.0\r\nhost: x\r\n\r\n` },
      { label: 'no host', wire: `GET /healthz HTTP/1.1\r\n\r\n` },
      { label: 'bare LF', wire: `GET /healthz HTTP/1.1\nhost: x\n\n` },
      { label: 'space in header name', wire: `GET /healthz HTTP/1.1\r\nhost: x\r\nbad header: v\r\n\r\n` },
      { label: 'control char in header', wire: `GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\u0001b\r\n\r\n` },
      { label: 'obs-fold', wire: `GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\r\n  folded\r\n\r\n` },
      {
        label: 'CL and TE together',
        wire: `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/json\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`,
      },
      {
        label: 'two content-lengths',
        wire: `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${auth}content-length: 2\r\ncontent-length: 3\r\n\r\n{}`,
      },
      {
        label: 'negative content-length',
        wire: `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${auth}content-length: -1\r\n\r\n{}`,
      },
      {
        label: 'bad chunk size',
        wire: `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${auth}transfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      },
      {
        label: 'content-length shorter than body (keep-alive)',
        wire: `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/json\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\n{}GARBAGE NOT HTTP\r\n\r\n`,
      },
      {
        label: 'header over the 16 KiB limit',
        wire: `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'b'.repeat(20 * KiB)}\r\n\r\n`,
      },
      {
        label: 'absolute-form target',
        wire: `GET http://evil.example/v1/models HTTP/1.1\r\nhost: x\r\n${auth}\r\n`,
      },
      { label: 'asterisk target', wire: `OPTIONS * HTTP/1.1\r\nhost: x\r\n\r\n` },
      {
        label: 'raw non-ASCII path',
        wire: Buffer.from(`GET /v1/mod\u00e9ls HTTP/1.1\r\nhost: x\r\n${auth}\r\n`, 'latin1'),
      },
      { label: 'NUL in path', wire: `GET /v1/\u0000 HTTP/1.1\r\nhost: x\r\n\r\n` },
      { label: 'garbage', wire: Buffer.from(Array.from({ length: 300 }, () => r.int(256))) },
    ]
    while (cases.length < PROTOCOL_CASES) {
      const base = r.pick(cases.slice(0, 20))
      const bytes = Buffer.from(base.wire)
      const mutated = Buffer.from(bytes)
      for (let k = 1 + r.int(3); k > 0; k--) mutated[r.int(mutated.length)] = r.int(256)
      cases.push({ label: `${base.label} (mutated)`, wire: mutated })
    }
    const failures: string[] = []
    for (const c of cases) {
      const { response, raw } = await rawRequest(h.url, c.wire, 1500)
      if (!response) {
        // A connection the server just closes is fine for unparseable input; a silent hang is not.
        if (raw.length > 0)
          failures.push(
            `${c.label}: unparseable answer ${JSON.stringify(raw.toString('latin1').slice(0, 80))}`,
          )
        continue
      }
      protocolAnswers.push({ label: c.label, response })
      if (response.status >= 500) failures.push(`${c.label}: ${response.status}`)
    }
    expect([...new Set(failures)].slice(0, 20)).toEqual([])
    expect(protocolAnswers.length).toBeGreaterThan(20)
    expect(unexpected.slice(unexpectedBefore).map(String)).toEqual([])
    await healthy()
  }, 120_000)

  it('fuzz: answers to malformed HTTP carry x-request-id and the error envelope too', () => {
    const failures: string[] = []
    for (const { label, response } of protocolAnswers) {
      if (!response.headers['x-request-id'])
        failures.push(`${label}: ${response.status} without x-request-id`)
      if (response.status >= 400 && !isEnvelope(safeJson(response.body)))
        failures.push(`${label}: ${response.status} without the envelope`)
    }
    const unique = [...new Set(failures.map((f) => f.replace(/ \(mutated\)/, '')))]
    expect(unique.slice(0, 20)).toEqual([])
  })

  it(`fuzz: ${OUTSIDE_CASES} requests to paths outside /v1, and every route there with every method, without a valid token all meet the gate (seed 0x${SEED.toString(16)})`, async () => {
    // Issue 26, item 1: every path except the public pages (`/`, `/healthz`) goes through the same
    // gate as /v1 — browser checks, limits, token — so no route (and no 404) answers without it.
    const unexpectedBefore = unexpected.length
    const r = prng(SEED ^ 0x0a7e)
    const upstreamBefore = h.emu.requests.length
    const failures: string[] = []
    const statuses = new Map<number, number>()
    for (let i = 0; i < OUTSIDE_CASES; i++) {
      const request = outsideRequest(r, h.token, i)
      const outcome = await send(request)
      const status = outcome.response?.status ?? 0
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      for (const problem of problemsOf(outcome))
        failures.push(`${request.label} ${request.path.slice(0, 80)}: ${problem}`)
      const problem = outsideVerdict(request, status)
      if (problem !== null) failures.push(`${request.label} ${request.path.slice(0, 80)}: ${problem}`)
    }
    // Every route outside /v1 with every method, without a token and with a wrong one.
    for (const route of OUTSIDE_ROUTES) {
      for (const method of OUTSIDE_METHODS) {
        for (const headers of [{}, { authorization: 'Bearer wrong-token' }] as Record<string, string>[]) {
          const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? '{}' : undefined
          const request: FuzzRequest = {
            label: `${method} ${route}`,
            method,
            path: route,
            headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined ? {} : { body }),
          }
          const outcome = await send(request)
          const status = outcome.response?.status ?? 0
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          for (const problem of problemsOf(outcome)) failures.push(`${request.label}: ${problem}`)
          const verdict = outsideVerdict(request, status)
          if (verdict !== null) failures.push(`${request.label}: ${verdict}`)
        }
      }
    }
    console.info(
      `fuzz outside-/v1 statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
    )
    expect(failures.slice(0, 30)).toEqual([])
    expect(h.emu.requests.length).toBe(upstreamBefore)
    expect(unexpected.slice(unexpectedBefore).map(String)).toEqual([])
    await healthy()
  }, 240_000)

  describe('fuzz regressions in a separate relay process', () => {
    beforeAll(buildChild, 120_000)
    afterAll(removeChildBuild)
    afterEach(stopChildren)

    it('fuzz: a multipart upload that ends before its closing boundary does not kill the relay process', async () => {
      const child = await startChild()
      for (const path of ['/v1/files?purpose=assistants', '/v1/files']) {
        for (const data of ['hello', '']) {
          const body = `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="a.txt"\r\n\r\n${data}\r\n`
          const { response } = await rawRequest(
            child.url,
            frameRequest(
              'POST',
              path,
              {
                authorization: `Bearer ${child.token}`,
                'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
              },
              body,
            ),
          )
          expect(response?.status, `${path} ${JSON.stringify(data)}`).toBe(400)
          await sleep(100)
          expect(
            child.proc.exitCode,
            `relay process exited after ${path} ${JSON.stringify(data)}: ${child.stderr()}`,
          ).toBeNull()
        }
      }
      expect((await fetch(`${child.url}/healthz`)).status).toBe(200)
      expect(child.stderr()).not.toMatch(/UNCAUGHT|UNHANDLED/)
    })
  })
})
