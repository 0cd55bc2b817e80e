import type { StoredAuth } from '../types'

export type Normalized = { ok: true; auth: StoredAuth } | { ok: false; problem: string }

type Strictness = 'input' | 'stored'

function kind(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

function nullableString(value: unknown, field: string): string | null | Error {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value
  return new Error(`"${field}" must be a string or null, not ${kind(value)}`)
}

function tokenString(value: unknown, field: string, strictness: Strictness): string | Error {
  if (typeof value === 'string') return value
  // Files written by older versions may lack a token; an empty string reads as "missing" upstream.
  if (strictness === 'stored' && (value === undefined || value === null)) return ''
  return new Error(`"${field}" must be a string, not ${kind(value)}`)
}

/**
 * Validates and copies a stored-auth payload into the canonical key order. `input` is strict about
 * token strings (values given to `set()`); `stored` accepts missing/null tokens as empty strings
 * (what an older or hand-edited file may contain). Problems never quote values.
 */
export function normalizeStoredAuth(value: unknown, strictness: Strictness): Normalized {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: `expected a JSON object, found ${kind(value)}` }
  }
  const record = value as Record<string, unknown>
  const tokens = record.tokens
  if (typeof tokens !== 'object' || tokens === null || Array.isArray(tokens)) {
    return { ok: false, problem: `"tokens" must be an object, not ${kind(tokens)}` }
  }
  const t = tokens as Record<string, unknown>
  const fields = {
    bound_account_id: nullableString(record.bound_account_id, 'bound_account_id'),
    id_token: tokenString(t.id_token, 'tokens.id_token', strictness),
    access_token: tokenString(t.access_token, 'tokens.access_token', strictness),
    refresh_token: tokenString(t.refresh_token, 'tokens.refresh_token', strictness),
    account_id: nullableString(t.account_id, 'tokens.account_id'),
    last_refresh: nullableString(record.last_refresh, 'last_refresh'),
  }
  for (const v of Object.values(fields)) {
    if (v instanceof Error) return { ok: false, problem: v.message }
  }
  const f = fields as {
    bound_account_id: string | null
    id_token: string
    access_token: string
    refresh_token: string
    account_id: string | null
    last_refresh: string | null
  }
  return {
    ok: true,
    auth: {
      bound_account_id: f.bound_account_id,
      tokens: {
        id_token: f.id_token,
        access_token: f.access_token,
        refresh_token: f.refresh_token,
        account_id: f.account_id,
      },
      last_refresh: f.last_refresh,
    },
  }
}

/**
 * Parses JSON text into a stored-auth payload. Never includes the text (or JSON.parse's message,
 * which quotes it) in the problem.
 */
export function parseStoredAuth(text: string): Normalized {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {
      ok: false,
      problem: text.trim().length === 0 ? 'empty' : 'not valid JSON',
    }
  }
  return normalizeStoredAuth(value, 'stored')
}

export function copyAuth(auth: StoredAuth): StoredAuth {
  return { ...auth, tokens: { ...auth.tokens } }
}
