import { describe, expect, it } from 'vitest'
import { decodeJwtClaims } from './jwt'

const jwt = (payload: unknown): string =>
  `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`

describe('decodeJwtClaims', () => {
  it('reads account id, plan, email, user id and exp without verifying', () => {
    const claims = decodeJwtClaims(
      jwt({
        email: 'a@b.c',
        exp: 1_900_000_000,
        'https://api.openai.com/auth': {
          chatgpt_account_id: 'acct_1',
          chatgpt_plan_type: 'pro',
          chatgpt_user_id: 'user_1',
        },
      }),
    )
    expect(claims).toMatchObject({
      accountId: 'acct_1',
      planType: 'pro',
      email: 'a@b.c',
      userId: 'user_1',
      exp: 1_900_000_000,
    })
  })

  it('falls back to the profile e-mail claim', () => {
    expect(decodeJwtClaims(jwt({ 'https://api.openai.com/profile': { email: 'p@q.r' } }))?.email).toBe(
      'p@q.r',
    )
  })

  it('returns null for anything that is not a JWT with an object payload', () => {
    for (const value of [
      undefined,
      null,
      '',
      'abc',
      'a.b',
      'a.!!!.c',
      `x.${Buffer.from('[1]').toString('base64url')}.y`,
    ]) {
      expect(decodeJwtClaims(value)).toBeNull()
    }
  })
})
