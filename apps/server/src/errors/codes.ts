/**
 * Every error code the relay itself puts in `error.code`. Upstream and translation failures may
 * also carry the upstream's own code (passed through as a plain string), so {@link RelayError}'s
 * `code` stays `string | null`; the relay's own errors are built from this list only.
 */
export type RelayErrorCode =
  // request shape
  | 'invalid_request'
  | 'invalid_json'
  | 'invalid_body'
  | 'invalid_value'
  | 'missing_host'
  | 'not_found'
  | 'method_not_allowed'
  | 'request_too_large'
  | 'unsupported_media_type'
  | 'client_closed_request'
  // security
  | 'invalid_api_key'
  | 'origin_not_allowed'
  | 'host_not_allowed'
  // routes
  | 'model_not_found'
  | 'client_version_too_old'
  | 'unsupported_value'
  | 'account_not_found'
  | 'conversation_not_found'
  | 'response_not_found'
  | 'previous_response_not_found'
  | 'conversation_storage_full'
  | 'provider_disabled'
  | 'unsupported_provider'
  | 'unsupported_route'
  // uploads
  | 'invalid_multipart'
  | 'invalid_content_type'
  | 'missing_file'
  | 'multipart_limit'
  | 'upload_too_large'
  // upstream
  | 'upstream_auth_missing'
  | 'upstream_auth_refresh_failed'
  | 'upstream_auth_incomplete'
  | 'upstream_auth_account_mismatch'
  | 'upstream_auth_rejected'
  | 'upstream_timeout'
  | 'upstream_unavailable'
  | 'upstream_error'
  | 'incomplete_stream'
  | 'usage_limit_reached'
  | 'rate_limit_exceeded'
  // the Responses WebSocket
  | 'websocket_unavailable'
  | 'invalid_frame'
  | 'invalid_type'
  | 'unsupported_frame'
  | 'response_in_progress'
  | 'thread_too_large'
  // the relay itself
  | 'server_error'
  | 'server_shutting_down'
  | 'config_write_failed'

/** OpenAI error `type`s the relay uses for its own errors. */
export type RelayErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'rate_limit_error'
  | 'unsupported_error'
  | 'upstream_error'
  | 'server_error'
