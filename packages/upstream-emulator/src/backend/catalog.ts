import { createHash } from 'node:crypto'
import { sendJson } from '../_internal/http'
import { accountSeesModel, defaultPlanType } from '../accounts'
import { runPre } from '../behaviours/pre'
import type { Exchange } from '../exchange'
import type { EmulatorModel } from '../types'
import { authenticate } from './auth'
import { defaultModels } from './default-models'
import { backendHeaders } from './headers'
import { compareVersions, parseVersion } from './version'

/** The model catalog the backend serves and validates requests against. */
export interface Catalog {
  readonly models: EmulatorModel[]
  /** Etag of the full catalog (also sent as `x-models-etag` on every backend answer). */
  readonly etag: string
}

function catalogEtag(models: EmulatorModel[]): string {
  return `"${createHash('sha256').update(JSON.stringify(models)).digest('hex').slice(0, 32)}"`
}

/** The configured catalog (already copied), else the default one. */
export function createCatalog(models: EmulatorModel[] | undefined): Catalog {
  const list = models ?? defaultModels()
  return { models: list, etag: catalogEtag(list) }
}

/** The models a client of `clientVersion` sees, sorted by priority, with their etag. */
export function catalogFor(catalog: Catalog, clientVersion: string | null): Catalog {
  const version = parseVersion(clientVersion)
  const models = catalog.models
    .filter((m) => {
      if (!version) return true
      const min = parseVersion(m.minimal_client_version)
      return !min || compareVersions(version, min) >= 0
    })
    .sort((a, b) => a.priority - b.priority)
  return { models, etag: models.length === catalog.models.length ? catalog.etag : catalogEtag(models) }
}

/** `GET /backend-api/codex/models?client_version=X.Y.Z`: the catalog, with etag / 304. */
export async function handleModels(ex: Exchange): Promise<void> {
  const { req, res, record, state } = ex
  const headers = backendHeaders(state, record.requestId, defaultPlanType(state))
  if ((await runPre(ex, 'models', headers)).done) return
  const identity = authenticate(ex, headers)
  if (!identity) return
  const visible = catalogFor(state.backend.catalog, ex.search.get('client_version'))
  const models = visible.models.filter((m) => accountSeesModel(state, identity.accountId, m.slug))
  const etag = models.length === visible.models.length ? visible.etag : catalogEtag(models)
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { ...headers, etag })
    res.end()
    return
  }
  sendJson(res, 200, { models }, { ...headers, etag })
}
