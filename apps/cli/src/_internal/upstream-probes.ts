import type { AuthStore } from '@airelays/auth-store'
import { credentialStoreFor } from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'
import type { UpstreamClient } from '@airelays/upstream-client'
import { createUpstreamClient, isUpstreamError } from '@airelays/upstream-client'
import type { DoctorCheck } from '../commands/doctor'
import { ANY_CLIENT_VERSION, catalogSlugs, RAISE_CLIENT_VERSION_STEP } from './catalog-gate'
import type { LoginState } from './login-state'

// The doctor's upstream probes (openai_models, openai_response): one client without retries,
// closed afterwards, so a failure shows at once.

/** Longest wait for the test response, in ms (the request timeout covers only the headers). */
const RESPONSE_PROBE_TIMEOUT_MS = 60_000

function errorMessage(error: unknown): string {
  if (isUpstreamError(error)) return `${error.message} (${error.code})`
  return error instanceof Error ? error.message : String(error)
}

/** Collects the text of a streamed response (bounded by `signal`). */
async function probeResponse(upstream: UpstreamClient, model: string, signal: AbortSignal): Promise<string> {
  const stream = await upstream.responses(
    {
      model,
      instructions: 'Reply with exactly: ok.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Reply with exactly: ok' }] }],
      store: false,
      tools: [],
      stream: true,
    },
    { signal, requestId: 'doctor_response' },
  )
  let text = ''
  for await (const event of stream) {
    if (event.type === 'response.output_text.delta' && typeof event.delta === 'string') text += event.delta
  }
  return text
}

/** What the upstream probes need besides the config. */
export interface UpstreamProbeInput {
  store: AuthStore
  /** The account slot the probes use. */
  slot: string
  login: LoginState
  skipResponse: boolean
  /** The Codex client version the relay announces (see `clientVersionFor`). */
  clientVersion: string
}

/** openai_models and openai_response: one upstream client, no retries, closed afterwards. */
export async function upstreamChecks(
  config: ResolvedConfig,
  input: UpstreamProbeInput,
): Promise<DoctorCheck[]> {
  const openaiEnabled = config.providers.openai.enabled
  const upstream =
    openaiEnabled && input.login.ready_for_requests
      ? createUpstreamClient({
          baseUrl: config.upstream.base_url,
          issuerUrl: config.upstream.issuer_base_url,
          clientId: config.upstream.client_id,
          clientVersion: input.clientVersion,
          credentials: credentialStoreFor(input.store, input.slot),
          requestTimeoutMs: config.upstream.request_timeout_seconds * 1000,
          retry: { attempts: 0 },
          modelsCacheTtlSeconds: 0,
        })
      : null
  try {
    const models: ModelsProbe = upstream
      ? await modelsCheck(upstream, () => catalogAbove(config, input))
      : {
          check: {
            name: 'openai_models',
            status: 'skip',
            message: openaiEnabled ? 'Skipped: no usable OpenAI login.' : 'The OpenAI runtime is disabled.',
          },
          selectedModel: null,
        }
    let response: DoctorCheck
    if (input.skipResponse) {
      response = { name: 'openai_response', status: 'skip', message: 'Skipped (--skip-response).' }
    } else if (!upstream || !models.selectedModel) {
      response = { name: 'openai_response', status: 'skip', message: 'Skipped: the earlier checks failed.' }
    } else {
      response = await responseCheck(upstream, models.selectedModel)
    }
    return [models.check, response]
  } finally {
    await upstream?.close()
  }
}

interface ModelsProbe {
  check: DoctorCheck
  /** The first model the upstream listed, for the response probe. */
  selectedModel: string | null
}

/** The account's catalog as a client newer than every release sees it (null when it cannot be read). */
function catalogAbove(config: ResolvedConfig, input: UpstreamProbeInput): Promise<string[] | null> {
  const options = { store: input.store, slot: input.slot, timeoutMs: RESPONSE_PROBE_TIMEOUT_MS }
  return catalogSlugs(config, { ...options, clientVersion: ANY_CLIENT_VERSION }).catch(() => null)
}

async function modelsCheck(
  upstream: UpstreamClient,
  fullCatalog: () => Promise<string[] | null>,
): Promise<ModelsProbe> {
  try {
    const models = await upstream.models({ signal: AbortSignal.timeout(RESPONSE_PROBE_TIMEOUT_MS) })
    const slugs = models.map((model) => model.slug).filter((slug) => typeof slug === 'string' && slug !== '')
    const selectedModel = slugs[0] ?? null
    const above = ((await fullCatalog()) ?? []).filter((slug) => !slugs.includes(slug))
    const version = upstream.clientVersion
    const check: DoctorCheck = !selectedModel
      ? { name: 'openai_models', status: 'fail', message: 'Upstream /models returned no models.' }
      : above.length > 0
        ? {
            name: 'openai_models',
            status: 'warn',
            message: `Upstream /models returned ${slugs.length} model(s) at client version ${version}; ${above.join(', ')} need(s) a newer Codex client version and cannot be called.`,
            data: {
              selected_model: selectedModel,
              models: slugs,
              client_version: version,
              models_above_client_version: above,
            },
            next_steps: [RAISE_CLIENT_VERSION_STEP],
          }
        : {
            name: 'openai_models',
            status: 'pass',
            message: `Upstream /models returned ${slugs.length} model(s) at client version ${version}.`,
            data: {
              selected_model: selectedModel,
              models: slugs,
              client_version: version,
              models_above_client_version: [],
            },
          }
    return { check, selectedModel }
  } catch (error) {
    return {
      check: {
        name: 'openai_models',
        status: 'fail',
        message: `OpenAI upstream /models probe failed: ${errorMessage(error)}`,
      },
      selectedModel: null,
    }
  }
}

async function responseCheck(upstream: UpstreamClient, model: string): Promise<DoctorCheck> {
  try {
    const text = await probeResponse(upstream, model, AbortSignal.timeout(RESPONSE_PROBE_TIMEOUT_MS))
    return {
      name: 'openai_response',
      status: 'pass',
      message: `Upstream /responses streamed an answer from ${model}.`,
      data: { model, text },
    }
  } catch (error) {
    return {
      name: 'openai_response',
      status: 'fail',
      message: `OpenAI upstream /responses probe failed: ${errorMessage(error)}`,
      data: { model },
    }
  }
}
