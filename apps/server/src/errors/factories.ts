import type { RelayErrorCode, RelayErrorType } from './codes'
import { RelayError, type RelayErrorInit } from './relay-error'

/** A {@link RelayErrorInit} whose code is one of the relay's own. */
export interface OwnErrorInit extends Omit<RelayErrorInit, 'code' | 'type'> {
  type: RelayErrorType
  code: RelayErrorCode
}

/** The one constructor of the relay's own errors (codes checked against {@link RelayErrorCode}). */
export function relayError(init: OwnErrorInit): RelayError {
  return new RelayError(init)
}

/**
 * The constructor of errors whose type and code come from elsewhere (the upstream, the limiter,
 * the translator, the file store) and are passed through as they are.
 */
export function passThrough(init: RelayErrorInit): RelayError {
  return new RelayError(init)
}

function invalidRequest(code: RelayErrorCode, message: string, param: string | null = null): RelayError {
  return relayError({ status: 400, type: 'invalid_request_error', code, param, message })
}

/** Longest header value quoted in a message. */
const MAX_QUOTED = 200

function quoted(value: string): string {
  return value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value
}

// ---- the request itself

/** 404 for a path no route serves. */
export function notFound(method: string, path: string): RelayError {
  return relayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'not_found',
    message: `Unknown route: ${method} ${path}.`,
  })
}

/** 405 for a known path asked with another method; `Allow` lists the right ones. */
export function methodNotAllowed(method: string, allowed: readonly string[]): RelayError {
  return relayError({
    status: 405,
    type: 'invalid_request_error',
    code: 'method_not_allowed',
    message: `Method ${method} is not allowed on this route. Allowed: ${allowed.join(', ')}.`,
    headers: { allow: allowed.join(', ') },
  })
}

/** 400: an HTTP/1.1 request without a Host header. */
export function missingHost(): RelayError {
  return invalidRequest('missing_host', 'HTTP/1.1 requests must carry a Host header.')
}

/** 400: a path that is not valid percent-encoding. */
export function malformedPath(): RelayError {
  return invalidRequest('invalid_request', 'The request path is not a valid URL path.')
}

/** 499: the client went away before the relay could answer (never actually sent). */
export function clientClosed(cause?: unknown): RelayError {
  return relayError({
    status: 499,
    type: 'invalid_request_error',
    code: 'client_closed_request',
    message: 'The client closed the connection before the response was sent.',
    cause,
  })
}

/** 413: a JSON body over the relay's limit. */
export function bodyTooLarge(limit: number): RelayError {
  return relayError({
    status: 413,
    type: 'invalid_request_error',
    code: 'request_too_large',
    message: `Request body exceeds the configured AIRelays limit of ${limit} bytes.`,
  })
}

/** 400: a body that is not JSON. */
export function invalidJson(): RelayError {
  return invalidRequest('invalid_json', 'Request body must be valid JSON.')
}

/** 400: a JSON body that is not an object. */
export function invalidBody(): RelayError {
  return invalidRequest('invalid_body', 'Request body must be a JSON object.')
}

/** 400: a field of the right name with a wrong value. */
export function invalidValue(param: string, message: string): RelayError {
  return invalidRequest('invalid_value', message, param)
}

/** 503: the relay is shutting down (retry elsewhere or later). */
export function shuttingDown(): RelayError {
  return relayError({
    status: 503,
    type: 'server_error',
    code: 'server_shutting_down',
    message: 'The AIRelays server is shutting down; retry the request.',
    headers: { 'retry-after': '1' },
  })
}

// ---- security

/** 401 of a missing or wrong relay token (the reference's message and code). */
export function invalidToken(): RelayError {
  return relayError({
    status: 401,
    type: 'authentication_error',
    code: 'invalid_api_key',
    message: 'Missing or invalid AIRelays bearer token.',
    headers: { 'www-authenticate': 'Bearer' },
  })
}

/** 403 of a request from a web page on another site. */
export function originNotAllowed(origin: string | null): RelayError {
  const from = origin === null ? 'another site' : quoted(origin)
  return relayError({
    status: 403,
    type: 'invalid_request_error',
    code: 'origin_not_allowed',
    message: `Cross-origin requests from ${from} are not allowed. AIRelays serves local clients; browsers on other sites cannot use it.`,
  })
}

/** 403 of a request that addresses a loopback-only relay under another name. */
export function hostNotAllowed(host: string): RelayError {
  return relayError({
    status: 403,
    type: 'invalid_request_error',
    code: 'host_not_allowed',
    message: `Host \`${quoted(host)}\` is not allowed: this relay listens on loopback only, so requests must address it as localhost or 127.0.0.1.`,
  })
}

/** What @airelays/ratelimit says when it refuses a request. */
export interface LimiterRefusal {
  status: number
  type: string
  code: string
  message: string
  retryAfterSeconds: number
}

/** 403 / 429 of the limiter (blocked IP, concurrency, rate), with `Retry-After`. */
export function limiterRefusal(rejection: LimiterRefusal): RelayError {
  return passThrough({
    status: rejection.status,
    type: rejection.type,
    code: rejection.code,
    message: rejection.message,
    headers: { 'retry-after': String(rejection.retryAfterSeconds) },
  })
}

// ---- routes

/** 404 `model_not_found`. */
export function modelNotFound(id: string): RelayError {
  return relayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
    message: `The model \`${id}\` is not in the AIRelays model list.`,
  })
}

/** 404 `model_not_found` for a model the upstream catalog does not list, naming a few that it does. */
export function unknownModel(id: string, available: readonly string[], clientVersion: string): RelayError {
  const some = available.slice(0, 5).map((slug) => `\`${slug}\``)
  const hint = some.length > 0 ? ` Available models include ${some.join(', ')}.` : ''
  return relayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
    message: `The model \`${id}\` does not exist, your ChatGPT subscription cannot use it, or it needs a newer Codex client version than ${clientVersion} (upstream.client_version).${hint} See GET /v1/models, or list it in providers.openai.extra_models to send it anyway.`,
  })
}

/**
 * 400 `client_version_too_old`: the backend refused `model` because the Codex client version the
 * relay sent is older than the model's `minimal_client_version`.
 */
export function clientVersionTooOld(model: string | null, version: string): RelayError {
  const name = model ? `The model \`${model}\`` : 'This model'
  return relayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'client_version_too_old',
    param: 'model',
    message: `${name} requires a newer Codex client version than the ${version} AIRelays sent upstream. Set upstream.client_version in config.toml (or AIRELAYS_CLIENT_VERSION) to the current Codex CLI version, e.g. the one \`codex --version\` prints, or install a newer Codex CLI, then restart the relay.`,
  })
}

/** 400 `unsupported_value` for a reasoning effort the model's catalog entry does not list. */
export function unsupportedEffort(
  param: string,
  effort: string,
  model: string,
  supported: readonly string[],
): RelayError {
  return relayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'unsupported_value',
    param,
    message: `Reasoning effort '${effort}' is not supported by the model \`${model}\`. Supported values: ${supported.map((e) => `'${e}'`).join(', ')}.`,
  })
}

/** 404 `account_not_found`. */
export function accountNotFound(account: string): RelayError {
  return relayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'account_not_found',
    param: 'account',
    message: `Unknown account \`${account}\`.`,
  })
}

/** 404 `conversation_not_found`. */
export function conversationNotFound(id: string): RelayError {
  return relayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'conversation_not_found',
    param: 'conversation_id',
    message: `Unknown conversation id \`${id}\`.`,
  })
}

/** 404 `response_not_found`: `GET /v1/responses/{id}` of a response the relay does not keep. */
export function responseNotFound(id: string): RelayError {
  return relayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'response_not_found',
    param: 'response_id',
    message: `Response with id '${quoted(id)}' not found.`,
  })
}

/**
 * 404 `previous_response_not_found`: a `previous_response_id` the relay does not keep (unknown,
 * deleted or expired). Never dropped silently: the earlier context would be lost.
 */
export function previousResponseNotFound(id: string): RelayError {
  return relayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'previous_response_not_found',
    param: 'previous_response_id',
    message: `Previous response with id '${quoted(id)}' not found.`,
  })
}

/** 500 `config_write_failed`: a settings change could not be saved to config.toml (nothing was changed). */
export function configWriteFailed(path: string, reason: string): RelayError {
  return relayError({
    status: 500,
    type: 'server_error',
    code: 'config_write_failed',
    param: null,
    message: `Cannot save the change to the config file ${path}: ${reason.replace(/\.?$/, '.')} The running relay was not changed either.`,
  })
}

/** 507 `conversation_storage_full`: the stored conversations would pass `max_conversation_bytes`. */
export function conversationStorageFull(maxBytes: number): RelayError {
  return relayError({
    status: 507,
    type: 'server_error',
    code: 'conversation_storage_full',
    param: null,
    message: `Stored conversations would exceed the configured AIRelays limit of ${maxBytes} bytes ([uploads] max_conversation_bytes). Delete conversations you no longer need.`,
  })
}

/** 501 `unsupported_error` (a route or provider the relay does not serve). */
export function notImplemented(
  code: 'provider_disabled' | 'unsupported_provider',
  message: string,
): RelayError {
  return relayError({ status: 501, type: 'unsupported_error', code, message })
}

/** 501 on the local-state routes (files, conversations) when the OpenAI runtime is disabled. */
export function localRoutesDisabled(): RelayError {
  return notImplemented(
    'provider_disabled',
    'This route is currently available only when the OpenAI runtime is enabled.',
  )
}

/** 501 of the routes the subscription backend has no verified implementation of. */
export function unsupportedRoute(): RelayError {
  return relayError({
    status: 501,
    type: 'unsupported_error',
    code: 'unsupported_route',
    message:
      'This subscription-backed server does not expose a verified upstream implementation for this route yet.',
  })
}

/** 422 of a generation request whose provider is disabled. */
export function providerDisabled(message: string): RelayError {
  return relayError({
    status: 422,
    type: 'invalid_request_error',
    code: 'provider_disabled',
    param: 'model',
    message,
  })
}

/** What @airelays/translate reports about a request it cannot translate. */
export interface TranslationRejection {
  status: number
  type: string
  code: string | null
  param: string | null
  message: string
}

/** The relay error of a request @airelays/translate refused (its status, type, code and param). */
export function translationRejected(rejection: TranslationRejection): RelayError {
  return passThrough({
    status: rejection.status,
    type: rejection.type,
    code: rejection.code,
    param: rejection.param,
    message: rejection.message,
  })
}

// ---- uploads

/** 400 of a multipart body the relay refuses. */
export function badUpload(
  message: string,
  code:
    | 'invalid_multipart'
    | 'invalid_content_type'
    | 'missing_file'
    | 'multipart_limit' = 'invalid_multipart',
  param: string | null = 'file',
): RelayError {
  return invalidRequest(code, message, param)
}

/** 413 of an upload over `max_upload_bytes`. */
export function uploadTooLarge(maxBytes: number): RelayError {
  return relayError({
    status: 413,
    type: 'invalid_request_error',
    code: 'upload_too_large',
    param: 'file',
    message: `Uploaded file exceeds the configured AIRelays upload limit of ${maxBytes} bytes.`,
  })
}
