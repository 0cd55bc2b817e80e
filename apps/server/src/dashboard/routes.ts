import { createHash } from 'node:crypto'
import { getRouterParam } from 'h3'
import { relayError } from '../errors/factories'
import type { Terminable } from '../request/lifecycle'
import type { RelayHandler } from '../routes/handler'
import type { RelayRuntime } from '../runtime'
import { dashboardScript } from './bundle'
import { DASHBOARD_HEADERS, renderDashboardShell } from './page'
import { DASHBOARD_CSS } from './styles'
import { type FeedEvent, TrafficFeed } from './traffic-feed'

/** The dashboard's handlers: the public shell and assets, and its authenticated `/v1/relay` APIs. */
export interface DashboardRoutes {
  feed: TrafficFeed
  /** `GET /`: the HTML shell (public; reveals nothing). */
  page: RelayHandler
  /** `GET /dashboard/app.js` */
  script: RelayHandler
  /** `GET /dashboard/app.css` */
  style: RelayHandler
  /** `GET /v1/relay/traffic`: health figures, last hour per minute, recent requests. */
  traffic: RelayHandler
  /** `GET /v1/relay/traffic/stream`: finished requests as server-sent events. */
  stream: RelayHandler
  /** `GET /v1/relay/traffic/:request_id`: a request's redacted log records. */
  detail: RelayHandler
}

const STYLE_HASH = createHash('sha256').update(DASHBOARD_CSS).digest('hex').slice(0, 16)
const IMMUTABLE = 'public, max-age=31536000, immutable'

function asset(req: Parameters<RelayHandler>[0], body: string, type: string, hash: string): Response {
  const etag = `"${hash}"`
  const versioned = new URL(req.event.req.url).searchParams.get('v') === hash
  const headers = {
    ...DASHBOARD_HEADERS,
    'content-type': type,
    etag,
    'cache-control': versioned ? IMMUTABLE : 'no-cache',
  }
  if (req.event.req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
  return new Response(body, { status: 200, headers })
}

function frame(event: FeedEvent): string {
  return event.kind === 'request'
    ? `event: request\nid: ${event.entry.request_id}\ndata: ${JSON.stringify(event.entry)}\n\n`
    : `event: dropped\ndata: ${JSON.stringify({ count: event.count })}\n\n`
}

function inFlight(rt: RelayRuntime): number {
  let n = 0
  for (const request of rt.lifecycle.inflight) if ((request as { logged?: boolean }).logged === true) n++
  return n
}

/** Build the dashboard's feed (tapping the traffic log) and its handlers. */
export function dashboardRoutes(rt: RelayRuntime): DashboardRoutes {
  // The feed takes each record's line from the log, which serialises it once for the file too.
  const feed = new TrafficFeed({ secrets: rt.secrets, now: rt.now, line: (record) => rt.log.line(record) })
  rt.log.tap = feed.tap
  const encoder = new TextEncoder()

  const page: RelayHandler = async (req) => {
    const script = await dashboardScript()
    const html = renderDashboardShell({
      basePath: req.basePath,
      requireToken: rt.settings.config.security.require_bearer_auth,
      version: rt.version,
      scriptHash: script.hash,
      styleHash: STYLE_HASH,
    })
    return new Response(html, {
      status: 200,
      headers: {
        ...DASHBOARD_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
      },
    })
  }

  const script: RelayHandler = async (req) => {
    const { code, hash } = await dashboardScript()
    return asset(req, code, 'text/javascript; charset=utf-8', hash)
  }

  const style: RelayHandler = (req) => asset(req, DASHBOARD_CSS, 'text/css; charset=utf-8', STYLE_HASH)

  const traffic: RelayHandler = (req) => {
    const now = rt.now()
    return req.json({
      object: 'relay.traffic',
      version: rt.version,
      started_at: new Date(feed.startedAt).toISOString(),
      uptime_seconds: Math.max(0, Math.floor((now - feed.startedAt) / 1000)),
      requests_total: rt.requestsTotal,
      // requests the traffic log counts (the dashboard's own calls are not among them)
      in_flight: inFlight(rt),
      client_version: rt.settings.config.upstream.client_version,
      require_bearer_auth: rt.settings.config.security.require_bearer_auth,
      subscribers: feed.subscribers,
      last_hour: feed.lastHour(),
      minutes: feed.minutes(),
      recent: feed.recent(),
    })
  }

  const stream: RelayHandler = () => {
    const sub = feed.subscribe()
    const keepAliveMs = rt.settings.keepAliveMs
    const terminable: Terminable = { terminate: () => sub.close() }
    rt.lifecycle.streams.add(terminable)
    const end = (): void => {
      sub.close()
      rt.lifecycle.streams.delete(terminable)
    }
    let started = false
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (!started) {
            started = true
            controller.enqueue(encoder.encode(`retry: 3000\n\nevent: ready\ndata: {}\n\n`))
            return
          }
          for (;;) {
            if (sub.closed || rt.lifecycle.draining) {
              end()
              controller.close()
              return
            }
            const events = sub.drain()
            if (events.length > 0) {
              controller.enqueue(encoder.encode(events.map(frame).join('')))
              return
            }
            let timer: NodeJS.Timeout | undefined
            const timedOut = await Promise.race([
              sub.next().then(() => false),
              new Promise<boolean>((resolve) => {
                timer = setTimeout(() => resolve(true), keepAliveMs)
              }),
            ])
            clearTimeout(timer)
            if (timedOut && !sub.closed) {
              controller.enqueue(encoder.encode(': keepalive\n\n'))
              return
            }
          }
        },
        cancel() {
          end()
        },
      },
      { highWaterMark: 0 },
    )
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    })
  }

  const detail: RelayHandler = (req) => {
    const id = getRouterParam(req.event, 'request_id') ?? ''
    const records = feed.detail(id)
    if (records === null) {
      throw relayError({
        status: 404,
        type: 'invalid_request_error',
        code: 'not_found',
        param: 'request_id',
        message: `The dashboard keeps no log records of request \`${id.slice(0, 200)}\` (only those of the last requests made while a dashboard was open).`,
      })
    }
    const entry = feed.recent().find((e) => e.request_id === id) ?? null
    return req.json({ object: 'relay.traffic.request', request_id: id, entry, records })
  }

  return { feed, page, script, style, traffic, stream, detail }
}
