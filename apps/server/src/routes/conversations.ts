import { getRouterParam } from 'h3'
import { localRoutesDisabled } from '../errors/factories'
import { seedInput } from '../generation/seed'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import type { RelayHandler } from './handler'

function conversationId(req: RelayRequest): string {
  return getRouterParam(req.event, 'conversation_id') ?? ''
}

/** `/v1/conversations` routes: create, get, update (shallow-merge metadata), delete. */
export function conversationRoutes(rt: RelayRuntime): {
  create: RelayHandler
  get: RelayHandler
  update: RelayHandler
  remove: RelayHandler
} {
  const requireOpenai = (): void => {
    if (!rt.settings.config.providers.openai.enabled) throw localRoutesDisabled()
  }
  return {
    async create(req) {
      requireOpenai()
      const body = await req.readJson({ emptyAsObject: true })
      if (Array.isArray(body.items) && body.items.length > 0) seedInput(body.items)
      return req.json(await rt.conversations.create(body))
    },
    async get(req) {
      requireOpenai()
      return req.json(await rt.conversations.get(conversationId(req)))
    },
    async update(req) {
      requireOpenai()
      const body = await req.readJson({ emptyAsObject: true })
      return req.json(await rt.conversations.update(conversationId(req), body))
    },
    async remove(req) {
      requireOpenai()
      return req.json(await rt.conversations.delete(conversationId(req)))
    },
  }
}
