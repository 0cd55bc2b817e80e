import { type ConfigKeyDefinition, configKeys, configSections, ignoredLegacyKeys } from '../keys'
import type { ConfigIssueSource, ConfigKeyPath, ConfigValue, WrittenConfig } from '../types'
import { describeDefault, editDistance, type IssueList, keyLabel, where } from './issues'
import type { KeyLines } from './toml-lines'
import { describeAccepted, describeRaw, formatValue, parseFileValue } from './values'

// Checking a parsed config.toml against the key table (shared by validateConfig and loadConfig).

/** A valid value read from the file, with the line that set it. */
export interface FileValue {
  value: ConfigValue
  line: number | null
}

interface TableNode {
  sections: Map<string, TableNode>
  keys: Map<string, ConfigKeyDefinition>
}

function buildTree(): TableNode {
  const root: TableNode = { sections: new Map(), keys: new Map() }
  for (const section of configSections) {
    let node = root
    for (const part of section.split('.')) {
      let child = node.sections.get(part)
      if (!child) {
        child = { sections: new Map(), keys: new Map() }
        node.sections.set(part, child)
      }
      node = child
    }
  }
  for (const def of configKeys) {
    let node = root
    for (const part of def.section.split('.')) node = node.sections.get(part) as TableNode
    node.keys.set(def.key, def)
  }
  return root
}

const TREE: TableNode = buildTree()

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

function setIn(target: Record<string, unknown>, parts: readonly string[], value: unknown): void {
  let node = target
  for (const part of parts.slice(0, -1)) {
    const next = node[part]
    if (isTable(next)) node = next
    else {
      const created: Record<string, unknown> = {}
      node[part] = created
      node = created
    }
  }
  node[parts[parts.length - 1] as string] = value
}

function suggestion(name: string, node: TableNode, isSection: boolean): string {
  const local = [...node.keys.keys(), ...node.sections.keys()]
  const close = local
    .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
    .filter(({ distance }) => distance <= 2)
    .sort((a, b) => a.distance - b.distance)[0]
  if (close) return ` Did you mean ${close.candidate}?`
  if (isSection) return ''
  const elsewhere = configKeys.find((def) => def.key === name && def.inFile)
  return elsewhere ? ` Did you mean ${keyLabel(elsewhere)}?` : ''
}

/**
 * Check a parsed config.toml against the key table. Shared by `validateConfig` and `loadConfig`.
 * Invalid values are reported and left out of `values`, so the key's default applies.
 */
export function checkWritten(
  written: unknown,
  path: string,
  lines: KeyLines | null,
  issues: IssueList,
): { values: Map<ConfigKeyPath, FileValue>; config: WrittenConfig } {
  const values = new Map<ConfigKeyPath, FileValue>()
  const config: Record<string, unknown> = {}
  const at = (parts: readonly string[]): ConfigIssueSource & { kind: 'file' } => ({
    kind: 'file',
    path,
    line: lines ? lines.lineOf(parts) : null,
  })

  if (!isTable(written)) {
    issues.error(
      'config_invalid_value',
      null,
      { kind: 'file', path, line: null },
      `Invalid config ${where({ kind: 'file', path, line: null })}: expected a TOML table at the top level, got ${describeRaw(written)}. Built-in defaults apply.`,
    )
    return { values, config: {} }
  }

  const walk = (table: Record<string, unknown>, node: TableNode, prefix: readonly string[]): void => {
    for (const [name, raw] of Object.entries(table)) {
      const parts = [...prefix, name]
      const dotted = parts.join('.')
      const source = at(parts)
      const child = node.sections.get(name)
      if (child) {
        if (isTable(raw)) walk(raw, child, parts)
        else
          issues.error(
            'config_invalid_value',
            dotted,
            source,
            `Invalid [${dotted}] section ${where(source)}: expected a table, got ${describeRaw(raw)}. Its settings use their defaults.`,
          )
        continue
      }
      const def = node.keys.get(name)
      if (!def) {
        if (ignoredLegacyKeys.includes(dotted)) continue
        const isSection = isTable(raw)
        const label =
          prefix.length === 0
            ? isSection
              ? `section [${name}]`
              : `top-level key ${name}`
            : `key [${prefix.join('.')}] ${name}`
        issues.warn(
          'config_unknown_key',
          dotted,
          source,
          `Unknown ${label} ${where(source)}; it is ignored.${suggestion(name, node, isSection)}`,
        )
        continue
      }
      if (!def.inFile) {
        issues.warn(
          'config_ignored_key',
          dotted,
          source,
          `${keyLabel(def)} ${where(source)} is ignored: it is read only from ${def.env.join(', ')}.`,
        )
        continue
      }
      const parsed = parseFileValue(def.type, raw)
      if (!parsed.ok) {
        issues.error(
          'config_invalid_value',
          def.path,
          source,
          `Invalid ${keyLabel(def)} value ${describeRaw(raw)} ${where(source)}: expected ${describeAccepted(def.type, 'file')}. Using the default (${describeDefault(def)}).`,
        )
        continue
      }
      if (parsed.note === 'empty') {
        issues.warn(
          'config_empty_list',
          def.path,
          source,
          `${keyLabel(def)} is empty ${where(source)}; using the default (${describeDefault(def)}).`,
        )
        continue
      }
      if (parsed.note === 'clamped') {
        issues.warn(
          'config_value_clamped',
          def.path,
          source,
          `${keyLabel(def)} value ${describeRaw(raw)} ${where(source)} is below the minimum; using ${formatValue(parsed.value)}.`,
        )
      }
      values.set(def.path, { value: parsed.value, line: source.line })
      setIn(config, parts, parsed.value)
    }
  }
  walk(written, TREE, [])
  return { values, config: config as WrittenConfig }
}
