// Public API of @airelays/config.
export { claudeModelTable } from './anthropic'
export type { ClaudeModelRoute } from './anthropic'
export { renderKeyTable } from './docs'
export { ConfigError, isConfigError } from './errors'
export type { ConfigErrorCode } from './errors'
export { configJsonSchema } from './json-schema'
export type { JsonSchema } from './json-schema'
export { configKeys, configSections } from './keys'
export type { ConfigDefault, ConfigFlagBinding, ConfigKeyDefinition, ConfigValueType } from './keys'
export { loadConfig } from './load'
export type { LoadConfigOptions, LoadConfigResult } from './load'
export { renderConfig, writeConfig } from './render'
export type { WriteConfigOptions, WriteConfigResult } from './render'
export { securitySettings, settingsSummary } from './summary'
export type { SecuritySettings, SettingsSummary, SettingsSummaryExtras } from './summary'
export type {
  AuthStorageMode,
  BalanceMode,
  ConfigFlags,
  ConfigIssue,
  ConfigIssueCode,
  ConfigIssueSource,
  ConfigKeyPath,
  ConfigSection,
  ConfigSources,
  ConfigValue,
  ConfigValueSource,
  ResolvedConfig,
  WrittenConfig,
} from './types'
export { updateConfig } from './update'
export type { UpdateConfigOptions, UpdateConfigResult } from './update'
export { validateConfig } from './validate'
export type { ValidateConfigOptions, ValidateConfigResult } from './validate'
