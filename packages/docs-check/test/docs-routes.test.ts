// docs/api-compatibility.md lists every route of the relay, and only real ones: each documented
// `METHOD /path` is probed on a real relay app (a wrong method must give 405 naming the documented
// one), and every route the server registers must be in the doc.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '@airelays/config'
import { createRelayApp } from '@airelays/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inlineCodeSpans } from '../src/markdown'
import { docsDir, readRepoFile } from '../src/workspace'

interface Route {
  method: string
  /** With `{param}` placeholders. */
  path: string
}

const key = (route: Route): string => `${route.method} ${route.path.replace(/\{[^}]+\}/g, '{}')}`

/** `GET /v1/models`-style inline code spans of the doc. */
function documentedRoutes(markdown: string): Route[] {
  const out: Route[] = []
  for (const span of inlineCodeSpans(markdown)) {
    const match = /^(GET|HEAD|POST|DELETE|PUT|PATCH) (\/[\w/{}.-]*)$/.exec(span)
    if (match) out.push({ method: match[1] as string, path: match[2] as string })
  }
  return out
}

/** The routes `apps/server/src/routes/index.ts` registers (public ones and those under `/v1`). */
function registeredRoutes(source: string): Route[] {
  const out: Route[] = []
  for (const match of source.matchAll(/add\(app, routes, '(\w+)', '([^']+)'/g))
    out.push({ method: match[1] as string, path: match[2] as string })
  for (const match of source.matchAll(/\br\('(\w+)', '([^']+)'/g))
    out.push({ method: match[1] as string, path: `/v1${(match[2] as string).replace(/:(\w+)/g, '{$1}')}` })
  return out
}

let home: string
let documented: Route[]
let app: ReturnType<typeof createRelayApp>

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'airelays-docs-routes-'))
  // Open mode and a bucket large enough for every probe: the security gate is not under test here.
  const { config } = await loadConfig({
    homeDir: home,
    cwd: home,
    env: { AIRELAYS_RATE_LIMIT_BURST: '10000' },
    flags: { noAuth: true },
  })
  app = createRelayApp({ config, trafficLog: false })
  const all = documentedRoutes(await readFile(join(docsDir, 'api-compatibility.md'), 'utf8'))
  documented = [...new Map(all.map((route) => [key(route), route])).values()]
})

afterAll(async () => {
  await rm(home, { recursive: true, force: true })
})

describe('routes in docs/api-compatibility.md', () => {
  it('include every route the server registers', () => {
    const registered = registeredRoutes(readRepoFile('apps/server/src/routes/index.ts'))
    expect(registered.length).toBeGreaterThan(15)
    const listed = new Set(documented.map(key))
    expect(registered.filter((route) => !listed.has(key(route))).map(key)).toEqual([])
  })

  it('exist on a real relay app with the documented method (and under /no-tools/v1)', async () => {
    const wrong: string[] = []
    for (const route of documented) {
      const concrete = route.path.replace(/\{[^}]+\}/g, 'x')
      const paths = concrete.startsWith('/v1/') ? [concrete, `/no-tools${concrete}`] : [concrete]
      for (const path of paths) {
        const response = await app.request(path, { method: 'PATCH' })
        const allow = response.headers.get('allow') ?? ''
        if (response.status !== 405 || !allow.split(/,\s*/).includes(route.method))
          wrong.push(`${route.method} ${path}: PATCH gave ${response.status}, Allow: ${allow || 'none'}`)
        await response.body?.cancel()
      }
    }
    expect(documented.length).toBeGreaterThan(15)
    expect(wrong).toEqual([])
  })

  it('a route the relay does not have is caught', async () => {
    const response = await app.request('/v1/fine_tuning/jobs', { method: 'PATCH' })
    expect(response.status).toBe(404)
    await response.body?.cancel()
  })
})
