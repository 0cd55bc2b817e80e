// The public surface of @airelays/config: a change here is an API change and shows up in review.
import { describe, expect, it } from 'vitest'
import * as api from './index'

describe('package surface', () => {
  it('exports exactly the documented surface', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "ConfigError",
        "claudeModelTable",
        "configJsonSchema",
        "configKeys",
        "configSections",
        "isConfigError",
        "loadConfig",
        "renderConfig",
        "renderKeyTable",
        "securitySettings",
        "settingsSummary",
        "updateConfig",
        "validateConfig",
        "writeConfig",
      ]
    `)
  })
})
