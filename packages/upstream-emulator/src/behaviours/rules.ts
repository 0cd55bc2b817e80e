import { UpstreamEmulatorError } from '../errors'
import type { BehaviourRoute, EmulatorBehaviour, EmulatorBehaviourKind } from '../types'

/** Concrete endpoint names a request can match. */
export type EndpointRoute = Exclude<BehaviourRoute, 'any'>

const BACKEND: EndpointRoute[] = ['responses', 'models', 'usage']
const ALL: EndpointRoute[] = [
  'responses',
  'models',
  'usage',
  'token',
  'device_token',
  'device_usercode',
  'revoke',
  'authorize',
]

/** Where each kind can run. */
const APPLIES: Record<EmulatorBehaviourKind, EndpointRoute[]> = {
  usage_limit: BACKEND,
  http_error: ALL,
  overload_in_stream: ['responses'],
  usage_limit_in_stream: ['responses'],
  failed_event: ['responses'],
  cut_mid_stream: ['responses'],
  end_early: ['responses'],
  stall: ['responses'],
  expired_token: BACKEND,
  no_content_type: ['responses'],
  empty_completed_output: ['responses'],
  incomplete: ['responses'],
  delay: ALL,
  reply: ['responses'],
  refresh_expired: ['token'],
  refresh_invalidated: ['token'],
  refresh_reused: ['token'],
  destroy: ALL,
  pace: ['responses'],
  authorize_error: ['authorize'],
  extra_events: ['responses'],
  silence: ['responses'],
}

/** Kinds applied as soon as the request arrives (before authentication and validation). */
const PRE_KINDS: ReadonlySet<EmulatorBehaviourKind> = new Set<EmulatorBehaviourKind>([
  'usage_limit',
  'http_error',
  'expired_token',
  'delay',
  'destroy',
  'refresh_expired',
  'refresh_invalidated',
  'refresh_reused',
  'authorize_error',
])

export function isPreKind(kind: EmulatorBehaviourKind): boolean {
  return PRE_KINDS.has(kind)
}

export function defaultRoute(kind: EmulatorBehaviourKind): EndpointRoute {
  if (kind === 'refresh_expired' || kind === 'refresh_invalidated' || kind === 'refresh_reused')
    return 'token'
  if (kind === 'authorize_error') return 'authorize'
  return 'responses'
}

/** True when `behaviour` applies to a request on `route` made by `accountId` (undefined: unknown). */
export function matches(behaviour: EmulatorBehaviour, route: EndpointRoute, accountId?: string): boolean {
  const wanted = behaviour.route ?? defaultRoute(behaviour.kind)
  if (wanted !== 'any' && wanted !== route) return false
  if (behaviour.accountId !== undefined && behaviour.accountId !== accountId) return false
  return APPLIES[behaviour.kind].includes(route)
}

const ROUTES: ReadonlySet<string> = new Set<string>([...ALL, 'any'])

function fail(index: number, message: string): never {
  throw new UpstreamEmulatorError('emulator_invalid_behaviour', `Behaviour #${index + 1}: ${message}`)
}

function nonNegative(value: unknown, index: number, field: string, required: boolean): void {
  if (value === undefined && !required) return
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(index, `"${field}" must be a non-negative number (got ${JSON.stringify(value)}).`)
  }
}

/** Check a behaviour received from code or from the control API; throws `emulator_invalid_behaviour`. */
export function validateBehaviour(value: unknown, index: number): EmulatorBehaviour {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(index, 'must be an object.')
  const b = value as Record<string, unknown>
  if (typeof b.kind !== 'string' || !(b.kind in APPLIES)) {
    fail(index, `unknown kind ${JSON.stringify(b.kind)}; expected one of ${Object.keys(APPLIES).join(', ')}.`)
  }
  const kind = b.kind as EmulatorBehaviourKind
  if (b.accountId !== undefined && (typeof b.accountId !== 'string' || b.accountId.length === 0)) {
    fail(index, '"accountId" must be a non-empty string.')
  }
  if (b.route !== undefined) {
    if (typeof b.route !== 'string' || !ROUTES.has(b.route)) {
      fail(index, `unknown route ${JSON.stringify(b.route)}; expected one of ${[...ROUTES].join(', ')}.`)
    }
    if (b.route !== 'any' && !APPLIES[kind].includes(b.route as EndpointRoute)) {
      fail(index, `kind "${kind}" cannot run on route "${b.route}" (it runs on ${APPLIES[kind].join(', ')}).`)
    }
  }
  switch (kind) {
    case 'usage_limit':
    case 'usage_limit_in_stream':
      nonNegative(b.resetsInSeconds, index, 'resetsInSeconds', false)
      break
    case 'http_error':
      if (typeof b.status !== 'number' || !Number.isInteger(b.status) || b.status < 100 || b.status > 599) {
        fail(index, '"status" must be an HTTP status code (100-599).')
      }
      if (b.headers !== undefined) {
        if (typeof b.headers !== 'object' || b.headers === null) fail(index, '"headers" must be an object.')
        for (const v of Object.values(b.headers))
          if (typeof v !== 'string') fail(index, 'header values must be strings.')
      }
      break
    case 'failed_event':
      if (b.code !== undefined && typeof b.code !== 'string') fail(index, '"code" must be a string.')
      if (b.message !== undefined && typeof b.message !== 'string') fail(index, '"message" must be a string.')
      break
    case 'cut_mid_stream':
    case 'end_early':
      nonNegative(b.afterEvents, index, 'afterEvents', true)
      break
    case 'stall':
      nonNegative(b.afterEvents, index, 'afterEvents', true)
      nonNegative(b.ms, index, 'ms', true)
      break
    case 'delay':
      nonNegative(b.ms, index, 'ms', true)
      break
    case 'silence':
      nonNegative(b.ms, index, 'ms', true)
      nonNegative(b.afterEvents, index, 'afterEvents', false)
      break
    case 'extra_events':
      if (b.events !== undefined && (typeof b.events !== 'object' || b.events === null)) {
        fail(index, '"events" must be an object.')
      }
      break
    case 'incomplete':
      if (b.reason !== undefined && typeof b.reason !== 'string') fail(index, '"reason" must be a string.')
      break
    case 'pace':
      if (b.events !== undefined && (!Number.isInteger(b.events) || (b.events as number) < 1)) {
        fail(index, '"events" must be a positive integer.')
      }
      nonNegative(b.gapMs, index, 'gapMs', false)
      nonNegative(b.ttftMs, index, 'ttftMs', false)
      break
    case 'reply': {
      const out = b.output
      if (typeof out !== 'object' || out === null) fail(index, '"output" must be an object.')
      const o = out as Record<string, unknown>
      if (o.text !== undefined && typeof o.text !== 'string') fail(index, '"output.text" must be a string.')
      if (o.reasoning !== undefined && typeof o.reasoning !== 'string') {
        fail(index, '"output.reasoning" must be a string.')
      }
      if (o.toolCalls !== undefined) {
        if (!Array.isArray(o.toolCalls)) fail(index, '"output.toolCalls" must be an array.')
        for (const call of o.toolCalls as unknown[]) {
          const c = call as Record<string, unknown> | null
          if (typeof c !== 'object' || c === null || typeof c.name !== 'string' || c.name.length === 0) {
            fail(index, 'each tool call needs a non-empty "name".')
          }
          if (typeof c.arguments !== 'string' && (typeof c.arguments !== 'object' || c.arguments === null)) {
            fail(index, 'each tool call needs "arguments" (a JSON string or an object).')
          }
        }
      }
      break
    }
    case 'authorize_error':
      if (b.error !== undefined && typeof b.error !== 'string') fail(index, '"error" must be a string.')
      if (b.description !== undefined && typeof b.description !== 'string') {
        fail(index, '"description" must be a string.')
      }
      break
    default:
      break
  }
  return b as unknown as EmulatorBehaviour
}
