import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type {
  ConfigKeyDefinition,
  ConfigKeyPath,
  ConfigSources,
  ConfigValueSource,
  ResolvedConfig,
} from '@airelays/config'

/** The resolved value of `key` (`section.sub.key`) in `config`. */
export function resolvedValue(config: ResolvedConfig, key: ConfigKeyPath): unknown {
  let node: unknown = config
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return node
}

/**
 * The built-in default of `def` for this config: a fixed value, `~/.airelays` (or the legacy
 * `~/.airelay` when only that exists, as @airelays/config chooses it), or `<data_dir>/<name>` for
 * the paths that follow the data directory.
 */
function defaultValue(def: ConfigKeyDefinition, config: ResolvedConfig, home: string): unknown {
  switch (def.default.kind) {
    case 'value':
      return def.default.value
    case 'home-dir': {
      const current = join(home, def.default.dir)
      const legacy = join(home, def.default.legacyDir)
      return !existsSync(current) && existsSync(legacy) ? legacy : current
    }
    case 'data-dir':
      return join(config.paths.data_dir, def.default.name)
  }
}

function sameValue(def: ConfigKeyDefinition, a: unknown, b: unknown): boolean {
  if (def.type.kind === 'path' && typeof a === 'string' && typeof b === 'string')
    return resolve(a) === resolve(b)
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => item === b[i])
  return a === b
}

/**
 * The settings whose resolved value differs from the built-in default, in key order, with where the
 * value came from. A key spelled out in config.toml with its default value (as `airelays init`
 * writes every key) is not a change.
 */
export function changedSettings(
  keys: readonly ConfigKeyDefinition[],
  config: ResolvedConfig,
  sources: ConfigSources,
  home: string = homedir(),
): [ConfigKeyPath, ConfigValueSource][] {
  const changed: [ConfigKeyPath, ConfigValueSource][] = []
  for (const def of keys) {
    const source = sources[def.path]
    if (!source || source.kind === 'default') continue
    if (sameValue(def, resolvedValue(config, def.path), defaultValue(def, config, home))) continue
    changed.push([def.path, source])
  }
  return changed
}
