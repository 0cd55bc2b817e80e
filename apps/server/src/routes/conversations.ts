import { getRouterParam, type H3Event } from 'h3'
import { stateOf } from '../_internal/context'
import { jsonResponse, readJsonBody, requireOpenai } from '../_internal/respond'
import type { RelayRuntime } from '../_internal/runtime'
import { seedInput } from './generation'
import type { RelayHandler } from './index'

function conversationId(event: H3Event): string {
  return getRouterParam(event, 'conversation_id') ?? ''
}

/** `/v1/conversations` routes: create, get, update (shallow-merge metadata), delete. */
export function conversationRoutes(rt: RelayRuntime): {
  create: RelayHandler
  get: RelayHandler
  update: RelayHandler
  remove: RelayHandler
} {
  return {
    async create(event) {
      const state = stateOf(event)
      requireOpenai(rt)
      const body = await readJsonBody(rt, event, state, { emptyAsObject: true })
      if (Array.isArray(body.items) && body.items.length > 0) seedInput(body.items)
      return jsonResponse(state, 200, await rt.conversations.create(body))
    },
    async get(event) {
      const state = stateOf(event)
      requireOpenai(rt)
      return jsonResponse(state, 200, await rt.conversations.get(conversationId(event)))
    },
    async update(event) {
      const state = stateOf(event)
      requireOpenai(rt)
      const body = await readJsonBody(rt, event, state, { emptyAsObject: true })
      return jsonResponse(state, 200, await rt.conversations.update(conversationId(event), body))
    },
    async remove(event) {
      const state = stateOf(event)
      requireOpenai(rt)
      return jsonResponse(state, 200, await rt.conversations.delete(conversationId(event)))
    },
  }
}
