import { describe, expect, it } from 'vitest'
import * as api from './index'

describe('@airelays/upstream-emulator exports', () => {
  it('keeps its runtime surface small and explicit', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "DEFAULT_CLIENT_ID",
        "UpstreamEmulatorError",
        "createUpstreamEmulator",
        "isUpstreamEmulatorError",
      ]
    `)
  })
})
