// Public API of @airelays/upstream-emulator.

// Factory
export { createUpstreamEmulator } from './emulator'
export { DEFAULT_CLIENT_ID } from './options'

// Errors
export { isUpstreamEmulatorError, UpstreamEmulatorError } from './errors'
export type { UpstreamEmulatorErrorCode } from './errors'

// Types
export type {
  BehaviourRoute,
  EmulatorAccountOptions,
  EmulatorBehaviour,
  EmulatorAdditionalRateLimit,
  EmulatorBehaviourKind,
  EmulatorExtraEvents,
  EmulatorModel,
  EmulatorReasoningLevel,
  EmulatorSpendControl,
  EmulatorStats,
  EmulatorUsageSettings,
  IssuedTokens,
  IssueTokensOptions,
  RecordedRequest,
  ScriptedOutput,
  ScriptedToolCall,
  StoredAuth,
  UpstreamEmulator,
  UpstreamEmulatorOptions,
} from './types'
