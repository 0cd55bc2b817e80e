import { describe, expect, it } from 'vitest'
import * as api from './index'

describe('@airelays/ratelimit export surface', () => {
  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "LOOPBACK_KEY",
        "RateLimiterError",
        "canonicalAddress",
        "clientKey",
        "createAddressMatcher",
        "createMemoryStore",
        "createRateLimiter",
        "forwardedClientAddress",
        "isLoopback",
        "isLoopbackAddress",
        "isLoopbackHost",
        "isRateLimiterError",
      ]
    `)
  })
})
