// The public surface of @airelays/auth-store: a change here is an API change and shows up in review.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as api from './index'

describe('@airelays/auth-store export surface', () => {
  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "AuthStoreError",
        "DEFAULT_SLOT",
        "accountLabel",
        "accountManifestPath",
        "accountSlug",
        "accountsSignature",
        "accountsSignatureSync",
        "chooseLoginSlot",
        "createAuthStore",
        "createFileAuthStore",
        "createKeychainAuthStore",
        "createMemoryAuthStore",
        "credentialStoreFor",
        "generateRelayToken",
        "isAuthStoreError",
        "isValidSlot",
        "isWeakRelayToken",
        "listAccounts",
        "readAccountOrder",
        "readRelayToken",
        "removeAccount",
        "reorderAccounts",
        "resolveAccount",
        "rotateRelayToken",
        "slotDirectory",
        "tokenFingerprint",
        "writeAccountOrder",
        "writeRelayToken",
      ]
    `)
  })

  it('re-exports nothing from _internal', () => {
    const barrel = readFileSync(new URL('./index.ts', import.meta.url), 'utf8')
    expect(barrel).not.toMatch(/from '\.\/_internal\//)
  })
})
