import type { ServerResponse } from 'node:http'
import { sendJson } from '../_internal/http'

/** The issuer's answers (401) for refresh tokens that can no longer be used. */
export const REFRESH_ERRORS = {
  refresh_expired: {
    error: 'refresh_token_expired',
    error_description: 'Your refresh token has expired. Please try signing in again.',
  },
  refresh_reused: {
    error: 'refresh_token_reused',
    error_description:
      'Your refresh token has already been used to generate a new access token. Please try signing in again.',
  },
  refresh_invalidated: {
    error: 'refresh_token_invalidated',
    error_description: 'Your refresh token has been invalidated. Please try signing in again.',
  },
} as const

/** Headers of every token endpoint answer. */
export const NO_STORE = { 'cache-control': 'no-store' } as const

/** An OAuth error answer: `{ error, error_description }`. */
export function tokenError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description }, NO_STORE)
}
