// Unit checks of the log scrubber's issue 26 rules (the end-to-end proof is in
// packages/reliability/test/hardening.test.ts, H7).
import { describe, expect, it } from 'vitest'
import { isSecretName, REDACTED, redactingReplacer, redactText, SecretSet } from '../src/logging/redact'
import { BodySnapshot, serialiseRecord } from '../src/logging/traffic-log'
import { safeEventName } from '../src/streaming/frame-writer'

describe('SecretSet groups', () => {
  it('upstream refreshes never push the relay token out', () => {
    const secrets = new SecretSet()
    secrets.add('relay-token-0123456789', 'relay')
    for (let i = 0; i < 500; i++) secrets.add(`upstream-access-${i}-xxxxxxxx`)
    expect(secrets.scrub('quote relay-token-0123456789 here')).toBe(`quote ${REDACTED} here`)
    expect(secrets.scrub('upstream-access-499-xxxxxxxx')).toBe(REDACTED)
    // The oldest upstream values are no longer live and are forgotten.
    expect(secrets.scrub('upstream-access-0-xxxxxxxx')).toBe('upstream-access-0-xxxxxxxx')
  })

  it('adding a known secret again keeps it among the newest (a token still in use is never forgotten)', () => {
    const secrets = new SecretSet()
    secrets.add('still-in-use-token-0')
    // Every request re-adds the live tokens; other accounts' refreshes come in between.
    for (let i = 0; i < 500; i++) {
      secrets.add(`other-account-${i}-xxxxxxxx`)
      secrets.add('still-in-use-token-0')
    }
    expect(secrets.scrub('a still-in-use-token-0 b')).toBe(`a ${REDACTED} b`)
    expect(secrets.scrub('other-account-499-xxxxxxxx')).toBe(REDACTED)
    expect(secrets.scrub('other-account-0-xxxxxxxx')).toBe('other-account-0-xxxxxxxx')
    expect(secrets.size).toBe(96)
  })

  it('a secret containing another is replaced whole', () => {
    const secrets = new SecretSet()
    secrets.add('abcdefgh', 'other')
    secrets.add('abcdefgh-longer-secret', 'relay')
    expect(secrets.scrub('x abcdefgh-longer-secret y')).toBe(`x ${REDACTED} y`)
  })
})

describe('names of credential headers and parameters', () => {
  it.each([
    'x-auth-token',
    'X-Goog-Api-Key',
    'x-amz-security-token',
    'sig',
    'signature',
    'bearer',
    'access_token',
    'key',
    'client-secret',
    'x-api-key',
  ])('%s is secret', (name) => expect(isSecretName(name)).toBe(true))
  it.each([
    'content-type',
    'x-request-id',
    'user-agent',
    'accept',
    'keep-alive',
    'max_tokens',
    'monkey',
    'sec-fetch-site',
  ])('%s is not', (name) => expect(isSecretName(name)).toBe(false))

  it('headers and query records are redacted by name in a log line', () => {
    const line = JSON.stringify(
      {
        headers: { 'x-goog-api-key': 'k1', accept: '*/*' },
        query: { sig: 's1', q: 'x' },
        body: { max_tokens: 5 },
      },
      redactingReplacer(new SecretSet()),
    )
    expect(JSON.parse(line)).toEqual({
      headers: { 'x-goog-api-key': REDACTED, accept: '*/*' },
      query: { sig: REDACTED, q: 'x' },
      body: { max_tokens: 5 },
    })
  })
})

describe('redactText (bodies that are not JSON)', () => {
  const secrets = new SecretSet()
  it('malformed JSON keeps its shape, secret values go, even cut off at the end', () => {
    expect(redactText('{"model":"m","file_data":"QUJD","api_key":"sk-1"', secrets)).toBe(
      `{"model":"m","file_data":"${REDACTED}","api_key":"${REDACTED}"`,
    )
    expect(redactText('{"a":1,"password":"unterminated', secrets)).toBe(`{"a":1,"password":"${REDACTED}`)
  })

  it('form bodies and query-like text', () => {
    expect(redactText('api_key=s1&model=x&password=p%20w&x-auth-token=t', secrets)).toBe(
      `api_key=${REDACTED}&model=x&password=${REDACTED}&x-auth-token=${REDACTED}`,
    )
  })

  it('plain prose is left alone', () => {
    expect(redactText('the key to success is = patience', secrets)).toBe('the key to success is = patience')
  })
})

describe('SSE event names', () => {
  it('keeps real event types and neutralises line breaks', () => {
    expect(safeEventName('response.output_text.delta')).toBe('response.output_text.delta')
    expect(safeEventName('a\ndata: {"x":1}\n\nevent: b')).toBe('a_data:___x_:1___event:_b')
    expect(safeEventName('')).toBe('message')
  })
})

describe('a record cut to max_request_log_bytes (serialised field by field)', () => {
  const secrets = new SecretSet()
  secrets.add('sk-known-secret-0123456789')
  const record = (bodyText: string, headers: Record<string, string>) => ({
    at: 0,
    requestId: 'req_cut',
    phase: 'inbound_request',
    fields: {
      headers,
      error: { code: 'bad_request', message: 'kept' },
      body: new BodySnapshot(
        Buffer.from(JSON.stringify({ api_key: 'sk-raw-api-key', input: bodyText })),
        'application/json',
      ),
    },
  })

  it('gives the same line as whole-record serialisation and redacts every preview', () => {
    const big = 'quote sk-known-secret-0123456789 '.repeat(40_000)
    const line = serialiseRecord(record(big, { 'x-auth-token': 'tok-raw', accept: '*/*' }), secrets, 100_000)
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(100_000)
    const parsed = JSON.parse(line)
    expect(parsed.body.truncated).toBe(true)
    expect(parsed.body.preview).toContain(REDACTED)
    expect(line).not.toContain('sk-known-secret-0123456789')
    expect(line).not.toContain('sk-raw-api-key')
    expect(line).not.toContain('tok-raw')
    expect(parsed.headers['x-auth-token']).toBe(REDACTED)
    expect(parsed.error.code).toBe('bad_request')
    // A body just under the limit is not cut, and is the same line the small-record path writes.
    const small = serialiseRecord(record('x'.repeat(40_000), { accept: '*/*' }), secrets, 100_000)
    expect(JSON.parse(small).body.json.input).toHaveLength(40_000)
  })

  it('fields are sized after name-based redaction, so no preview quotes a secret header', () => {
    // Before, fields were sized (and previews cut) from a serialisation without the header-name
    // rules: a long `x-auth-token` made `headers` a cut field whose preview quoted it.
    const line = serialiseRecord(
      record('y'.repeat(150_000), { 'x-auth-token': `tok-raw-${'h'.repeat(400_000)}`, accept: '*/*' }),
      secrets,
      100_000,
    )
    expect(line).not.toContain('tok-raw')
    const parsed = JSON.parse(line)
    expect(parsed.headers['x-auth-token']).toBe(REDACTED)
    expect(parsed.body.truncated).toBe(true)
  })
})
