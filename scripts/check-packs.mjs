#!/usr/bin/env node
// Packs every public workspace package exactly as `pnpm publish` would and checks what ships:
// no `workspace:` ranges left, every export target present in the tarball, types first, and a
// clean publint report. Needs a prior `pnpm build`.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

const root = join(import.meta.dirname, '..')
const dirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name)),
)
let problems = 0
const report = (pkg, message) => {
  problems += 1
  console.error(`✗ ${pkg}: ${message}`)
}

function exportTargets(value, out = []) {
  if (typeof value === 'string') out.push(value)
  else if (value && typeof value === 'object') for (const v of Object.values(value)) exportTargets(v, out)
  return out
}

for (const dir of dirs) {
  const manifestPath = join(dir, 'package.json')
  if (!existsSync(manifestPath)) continue
  const source = JSON.parse(readFileSync(manifestPath, 'utf8'))
  if (source.private) continue
  const work = mkdtempSync(join(tmpdir(), 'airelays-pack-'))
  try {
    const out = execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: dir, encoding: 'utf8' })
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))
    if (!tarball) {
      report(source.name, `pnpm pack produced no tarball\n${out}`)
      continue
    }
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work])
    const pkgDir = join(work, 'package')
    const packedText = readFileSync(join(pkgDir, 'package.json'), 'utf8')
    const packed = JSON.parse(packedText)
    if (packedText.includes('workspace:')) report(source.name, 'packed manifest still has a workspace: range')
    if (JSON.stringify(packed.exports ?? {}).includes('@airelays/source'))
      report(source.name, 'packed exports still carry the private @airelays/source condition')
    for (const target of exportTargets(packed.exports)) {
      if (!existsSync(join(pkgDir, target)))
        report(source.name, `export target ${target} is not in the tarball`)
    }
    for (const bin of Object.values(packed.bin ?? {})) {
      if (!existsSync(join(pkgDir, bin))) report(source.name, `bin ${bin} is not in the tarball`)
    }
    const { messages } = await publint({ pkgDir, pack: false, level: 'warning' })
    for (const message of messages)
      report(source.name, `publint: ${formatMessage(message, packed) ?? message.code}`)
    if (!messages.length) console.log(`✓ ${source.name}@${packed.version} packs cleanly`)
  } catch (error) {
    report(source.name, error instanceof Error ? error.message : String(error))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
process.exit(problems ? 1 : 0)
