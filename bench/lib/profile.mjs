// Summary of a V8 .cpuprofile (written by `node --cpu-prof`): self time by function and by
// package, so a benchmark run with --profile points at the relay's hot path.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Newest `.cpuprofile` file in `dir` (null when none). */
export function newestProfile(dir) {
  let best = null
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.cpuprofile')) continue
    const file = join(dir, name)
    const mtime = statSync(file).mtimeMs
    if (!best || mtime > best.mtime) best = { file, mtime }
  }
  return best?.file ?? null
}

/** Where a script URL belongs: a workspace package, an npm package, node internals, … */
export function ownerOf(url) {
  if (!url) return '(native / V8)'
  if (url.startsWith('node:')) return 'node internals'
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (pnpm) return pnpm[1]
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (nm) return nm[1]
  const ws = /\/(packages|apps)\/([^/]+)\//.exec(url)
  if (ws) return `${ws[1]}/${ws[2]}`
  return url.replace(/^file:\/\//, '')
}

/**
 * Self time per function and per owner of a profile. Returns { totalMs, activeMs, functions:
 * [{ name, url, line, owner, selfMs, share }], owners: [{ owner, selfMs, share }] }, shares of the
 * active (non-idle) time.
 */
export function summarizeProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  // Inclusive time: every function on the stack of a sample (counted once per sample).
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const inclusive = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const seen = new Set()
    let id = profile.samples[i]
    const leaf = byId.get(id)
    if (leaf?.callFrame.functionName === '(idle)') continue
    while (id !== undefined) {
      const { functionName, url, lineNumber } = byId.get(id).callFrame
      const key = `${functionName || '(anonymous)'}|${url.replace(/^file:\/\//, '')}|${lineNumber + 1}`
      if (!seen.has(key)) {
        seen.add(key)
        inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
      }
      id = parent.get(id)
    }
  }
  const fns = new Map()
  let total = 0
  let idle = 0
  for (const [id, micros] of self) {
    const node = byId.get(id)
    if (!node) continue
    const { functionName, url, lineNumber } = node.callFrame
    total += micros
    if (functionName === '(idle)') {
      idle += micros
      continue
    }
    const key = `${functionName}|${url}|${lineNumber}`
    const entry = fns.get(key) ?? {
      name: functionName || '(anonymous)',
      url: url.replace(/^file:\/\//, ''),
      line: lineNumber + 1,
      owner: ownerOf(url) ?? '',
      selfMs: 0,
    }
    if (functionName === '(garbage collector)' || functionName === '(program)') entry.owner = 'V8'
    entry.selfMs += micros / 1000
    fns.set(key, entry)
  }
  const activeMs = (total - idle) / 1000
  const functions = [...fns.values()].sort((a, b) => b.selfMs - a.selfMs)
  const owners = new Map()
  for (const f of functions) owners.set(f.owner, (owners.get(f.owner) ?? 0) + f.selfMs)
  const share = (ms) => Math.round((ms / activeMs) * 1000) / 10
  return {
    file,
    totalMs: Math.round(total / 1000),
    activeMs: Math.round(activeMs),
    functions: functions
      .slice(0, top)
      .map((f) => ({ ...f, selfMs: Math.round(f.selfMs), share: share(f.selfMs) })),
    inclusive: [...inclusive.entries()]
      .filter(([key]) => !key.startsWith('(root)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, micros]) => {
        const [name, url, line] = key.split('|')
        return {
          name,
          owner: ownerOf(url),
          url,
          line: Number(line),
          ms: Math.round(micros / 1000),
          share: share(micros / 1000),
        }
      }),
    owners: [...owners.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([owner, ms]) => ({ owner, selfMs: Math.round(ms), share: share(ms) })),
  }
}

/** Human summary lines. */
export function formatProfile(summary) {
  const lines = [
    `CPU profile ${summary.file}: ${summary.activeMs} ms on CPU of ${summary.totalMs} ms`,
    '  self time by owner:',
  ]
  for (const o of summary.owners) lines.push(`    ${String(o.share).padStart(5)}%  ${o.owner}`)
  lines.push('  hottest functions (self time):')
  for (const f of summary.functions)
    lines.push(
      `    ${String(f.share).padStart(5)}%  ${f.name}  ${f.owner}  ${f.url.split('/').slice(-2).join('/')}:${f.line}`,
    )
  if (summary.inclusive) {
    lines.push('  inclusive time (function and what it calls):')
    for (const f of summary.inclusive)
      lines.push(
        `    ${String(f.share).padStart(5)}%  ${f.name}  ${f.owner}  ${f.url.split('/').slice(-2).join('/')}:${f.line}`,
      )
  }
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2]
  if (!target) {
    console.error('usage: node bench/lib/profile.mjs <file.cpuprofile | dir>')
    process.exit(2)
  }
  const file = statSync(target).isDirectory() ? newestProfile(target) : target
  if (!file) {
    console.error(`no .cpuprofile in ${target}`)
    process.exit(1)
  }
  console.log(formatProfile(summarizeProfile(file, Number(process.argv[3]) || 30)))
}
