import type { ConfigKeyDefinition } from '../keys'
import type { ConfigIssue, ConfigIssueSource } from '../types'
import { formatValue } from './values'

/** `[section] key`, as users see it in the file. */
export function keyLabel(def: Pick<ConfigKeyDefinition, 'section' | 'key'>): string {
  return `[${def.section}] ${def.key}`
}

/** "in /path/config.toml:12", "from AIRELAYS_PORT", "from --port". */
export function where(source: ConfigIssueSource): string {
  if (source.kind === 'file') return `in ${source.path}${source.line === null ? '' : `:${source.line}`}`
  return `from ${source.name}`
}

/** The default as users read it: a value, `~/.airelays` or `<data_dir>/logs`. */
export function describeDefault(def: ConfigKeyDefinition): string {
  switch (def.default.kind) {
    case 'value':
      return formatValue(def.default.value)
    case 'home-dir':
      return `~/${def.default.dir}`
    case 'data-dir':
      return `<data_dir>/${def.default.name}`
  }
}

/** Collects warnings and errors in discovery order. */
export class IssueList {
  readonly warnings: ConfigIssue[] = []
  readonly errors: ConfigIssue[] = []

  warn(code: ConfigIssue['code'], key: string | null, source: ConfigIssueSource, message: string): void {
    this.warnings.push({ code, message, key, source })
  }

  error(code: ConfigIssue['code'], key: string | null, source: ConfigIssueSource, message: string): void {
    this.errors.push({ code, message, key, source })
  }
}

/** Edit distance, for "did you mean" hints on unknown keys. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      )
    }
    previous = current
  }
  return previous[b.length] as number
}
