import { sendJson } from '../_internal/http'
import { defaultPlanType } from '../accounts'
import { runPre } from '../behaviours/pre'
import { takeBehaviour } from '../behaviours/queue'
import type { Exchange } from '../exchange'
import { authenticate } from './auth'
import { backendHeaders } from './headers'
import { streamScript } from './stream/script'
import { sendSse } from './stream/sse'
import { isRejection, openaiError, validateResponsesBody } from './validate'
import { clientVersionOf } from './version'

/**
 * `POST /backend-api/codex/responses`: pre behaviour, authentication, validation, then the
 * scripted stream (at most one behaviour per request).
 */
export async function handleResponses(ex: Exchange): Promise<void> {
  const { req, res, record, state, body } = ex
  const plan = defaultPlanType(state)
  const baseHeaders = backendHeaders(state, record.requestId, plan)
  const pre = await runPre(ex, 'responses', baseHeaders)
  if (pre.done) return
  const identity = authenticate(ex, baseHeaders)
  if (!identity) return
  const headers =
    identity.plan === plan ? baseHeaders : backendHeaders(state, record.requestId, identity.plan)
  if (body.jsonError || body.json === undefined) {
    const r = openaiError({
      status: 400,
      message: 'We could not parse the JSON body of your request. The API expects a JSON payload.',
      param: null,
      code: null,
    })
    sendJson(res, r.status, r.body, headers)
    return
  }
  const validated = validateResponsesBody(
    body.json,
    state.backend.catalog.models,
    clientVersionOf(req.headers),
  )
  if (isRejection(validated)) {
    sendJson(res, validated.status, validated.body, headers)
    return
  }
  // one behaviour per request: a request that got a `delay` takes no stream kind as well
  const behaviour = pre.behaviour ? undefined : takeBehaviour(state, 'responses', 'post')
  if (behaviour) record.behaviour = behaviour.kind
  const sessionId = req.headers.session_id ?? req.headers['session-id']
  const script = streamScript({ state, request: validated, identity, behaviour, sessionId })
  sendSse(ex, script, headers)
}
