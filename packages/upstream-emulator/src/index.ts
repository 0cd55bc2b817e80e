// Public API of @airelays/upstream-emulator.

// Factory
export { createUpstreamEmulator, DEFAULT_CLIENT_ID } from './emulator'

// Errors
export { isUpstreamEmulatorError, UpstreamEmulatorError } from './errors'
export type { UpstreamEmulatorErrorCode } from './errors'

// Types
export type {
  BehaviourRoute,
  EmulatorBehaviour,
  EmulatorBehaviourKind,
  EmulatorModel,
  EmulatorReasoningLevel,
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
