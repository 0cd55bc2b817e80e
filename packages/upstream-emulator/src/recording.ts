import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { headerRecord } from './_internal/http'
import { UpstreamEmulatorError } from './errors'
import { invalidOption } from './options'
import type { EmulatorState } from './state'
import type { RecordedRequest } from './types'

/** A pending `waitFor()`. */
export interface Waiter {
  predicate: (request: RecordedRequest) => boolean
  resolve: (request: RecordedRequest) => void
  reject: (error: unknown) => void
  timer: NodeJS.Timeout
}

/** Where an incoming request is going, as dispatch saw it. */
export interface RecordTarget {
  path: string
  query: Record<string, string>
  route: RecordedRequest['route']
}

/**
 * Start the record of a request: sets `x-request-id`, counts it in flight, and settles the
 * record (outcome, status, counters, waiters) when the response finishes or closes.
 */
export function openRecord(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  target: RecordTarget,
): RecordedRequest {
  const requestId = randomUUID()
  res.setHeader('x-request-id', requestId)
  const rec = state.recording
  const record: RecordedRequest = {
    id: ++rec.sequence,
    requestId,
    method: req.method ?? 'GET',
    path: target.path,
    query: target.query,
    headers: headerRecord(req),
    body: null,
    receivedAt: Date.now(),
    route: target.route,
  }
  rec.counters.inFlight++
  let settled = false
  res.once('finish', () => {
    if (settled) return
    settled = true
    rec.counters.inFlight--
    rec.counters.completed++
    record.outcome = 'completed'
    record.status = res.statusCode
    record.completedAt = Date.now()
    notify(state, record)
  })
  res.once('close', () => {
    if (settled) return
    settled = true
    rec.counters.inFlight--
    if (res.headersSent) record.status = res.statusCode
    if (record.outcome === 'destroyed' || record.behaviour === 'destroy') {
      record.outcome = 'destroyed'
      record.completedAt = Date.now()
    } else {
      record.outcome = 'aborted'
      rec.counters.aborted++
      record.abortedAt = Date.now()
    }
    notify(state, record)
  })
  return record
}

/** Keep a record, dropping the oldest in batches beyond `maxRecordedRequests`. */
export function remember(state: EmulatorState, record: RecordedRequest): void {
  const max = state.config.maxRecorded
  const requests = state.recording.requests
  if (max === 0) return
  requests.push(record)
  if (requests.length > max + Math.ceil(max / 10)) {
    requests.splice(0, requests.length - max)
  }
}

/** Offer a (new or updated) record to the pending `waitFor()` calls. */
export function notify(state: EmulatorState, record: RecordedRequest): void {
  const waiters = state.recording.waiters
  if (waiters.size === 0) return
  for (const waiter of waiters) {
    let hit = false
    try {
      hit = waiter.predicate(record)
    } catch (error) {
      waiters.delete(waiter)
      clearTimeout(waiter.timer)
      waiter.reject(error)
      continue
    }
    if (hit) {
      waiters.delete(waiter)
      clearTimeout(waiter.timer)
      waiter.resolve(record)
    }
  }
}

/** `waitFor()`: the first record (past or future) matching `predicate`. */
export function waitFor(
  state: EmulatorState,
  predicate: (request: RecordedRequest) => boolean,
  timeoutMs = 5000,
): Promise<RecordedRequest> {
  if (typeof predicate !== 'function') invalidOption('waitFor() needs a predicate function.')
  const { requests, waiters } = state.recording
  try {
    for (const record of requests) if (predicate(record)) return Promise.resolve(record)
  } catch (error) {
    return Promise.reject(error)
  }
  if (state.closed) {
    return Promise.reject(new UpstreamEmulatorError('emulator_closed', 'The upstream emulator is closed.'))
  }
  return new Promise((resolve, reject) => {
    const waiter: Waiter = {
      predicate,
      resolve,
      reject,
      timer: setTimeout(() => {
        waiters.delete(waiter)
        reject(
          new UpstreamEmulatorError(
            'emulator_wait_timeout',
            `No recorded request matched within ${timeoutMs} ms (${requests.length} recorded).`,
          ),
        )
      }, timeoutMs),
    }
    waiters.add(waiter)
  })
}

/** Reject every pending `waitFor()` with `emulator_closed`. */
export function rejectWaiters(state: EmulatorState): void {
  const waiters = state.recording.waiters
  for (const waiter of waiters) {
    clearTimeout(waiter.timer)
    waiter.reject(new UpstreamEmulatorError('emulator_closed', 'The upstream emulator was closed.'))
  }
  waiters.clear()
}
