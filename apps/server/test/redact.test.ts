// Unit checks of the log scrubber's issue 26 rules (the end-to-end proof is in
// packages/reliability/test/hardening.test.ts, H7).
import { describe, expect, it } from 'vitest'
import { isSecretName, REDACTED, redactingReplacer, redactText, SecretSet } from '../src/logging/redact'
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
