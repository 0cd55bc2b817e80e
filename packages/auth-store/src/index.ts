// Public API of @airelays/auth-store.

// Stores
export { createAuthStore } from './drivers/auto'
export type { AuthStoreOptions } from './drivers/auto'
export { createFileAuthStore } from './drivers/file'
export type { FileAuthStoreOptions } from './drivers/file'
export { createKeychainAuthStore } from './drivers/keychain'
export type { KeychainAuthStoreOptions } from './drivers/keychain'
export { createMemoryAuthStore } from './drivers/memory'
export type {
  AuthLockOptions,
  AuthStore,
  AuthStoreDescription,
  AuthStoreDriver,
  AuthStoreMode,
  AuthUpdater,
  KeyringEntry,
  KeyringModule,
  StoredAuth,
} from './types'

// Slots
export { DEFAULT_SLOT, isValidSlot, slotDirectory } from './slots'

// Accounts (one slot per signed-in upstream account)
export {
  accountLabel,
  accountManifestPath,
  accountSlug,
  accountsSignature,
  accountsSignatureSync,
  chooseLoginSlot,
  listAccounts,
  readAccountOrder,
  removeAccount,
  reorderAccounts,
  resolveAccount,
  writeAccountOrder,
} from './accounts'
export type {
  AccountList,
  AccountProblem,
  ListAccountsOptions,
  LoginPlacement,
  RemoveAccountOptions,
  StoredAccount,
} from './accounts'

// Upstream-client adapter
export { credentialStoreFor } from './credential-store'
export type { SlotCredentialStore } from './credential-store'

// Relay token
export {
  generateRelayToken,
  isWeakRelayToken,
  readRelayToken,
  rotateRelayToken,
  tokenFingerprint,
  writeRelayToken,
} from './relay-token'
export type {
  ReadRelayTokenOptions,
  RelayTokenInfo,
  RelayTokenSource,
  RotatedRelayToken,
} from './relay-token'

// Errors
export { AuthStoreError, isAuthStoreError } from './errors'
export type { AuthStoreErrorCode, AuthStoreErrorDetails } from './errors'
