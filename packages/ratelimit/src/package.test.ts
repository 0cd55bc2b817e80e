import { describe, expect, it } from 'vitest'
import * as api from './index'

describe('@airelays/ratelimit export surface', () => {
  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "RateLimiterError",
        "createMemoryStore",
        "createRateLimiter",
        "isLoopback",
        "isLoopbackHost",
        "isRateLimiterError",
      ]
    `)
  })
})
