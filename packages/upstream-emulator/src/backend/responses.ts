import { sendJson } from '../_internal/http'
import { accountSeesModel, defaultPlanType, usageOf } from '../accounts'
import { runPre } from '../behaviours/pre'
import { takeBehaviour } from '../behaviours/queue'
import type { Exchange } from '../exchange'
import { authenticate } from './auth'
import { backendHeaders } from './headers'
import { streamScript } from './stream/script'
import { sendSse } from './stream/sse'
import { codexHeaders, spentWindow, usageLimitBody } from './usage'
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
  const headers = backendHeaders(state, record.requestId, identity.plan, identity.accountId)
  const spent = spentWindow(usageOf(state, identity.accountId))
  if (spent) {
    // The account's own figures say a window is spent: the real backend refuses until it resets.
    sendJson(res, 429, usageLimitBody(identity.plan, spent.resetAfter), {
      ...headers,
      ...codexHeaders(state, identity.plan, { used: 100, resetAfter: spent.resetAfter }, identity.accountId),
    })
    return
  }
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
  const models = state.backend.catalog.models.filter((m) =>
    accountSeesModel(state, identity.accountId, m.slug),
  )
  const validated = validateResponsesBody(body.json, models, clientVersionOf(req.headers))
  if (isRejection(validated)) {
    sendJson(res, validated.status, validated.body, headers)
    return
  }
  // one behaviour per request: a request that got a `delay` takes no stream kind as well
  const behaviour = pre.behaviour ? undefined : takeBehaviour(state, 'responses', 'post', identity.accountId)
  if (behaviour) record.behaviour = behaviour.kind
  const sessionId = req.headers.session_id ?? req.headers['session-id']
  const script = streamScript({ state, request: validated, identity, behaviour, sessionId })
  sendSse(ex, script, headers)
}
