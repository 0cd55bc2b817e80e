#!/usr/bin/env node
// Reports the shape bars of AGENTS.md for source files (tests excluded): functions over 150 lines,
// files over 400 lines, functions with more than 4 positional parameters.
// Usage: node scripts/shape.mjs [--json] [dir…]   (default: apps/*/src packages/*/src)
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

const root = join(import.meta.dirname, '..')
const args = process.argv.slice(2)
const json = args.includes('--json')
const dirs = args.filter((a) => !a.startsWith('--'))
const MAX_FUNCTION = 150
const MAX_FILE = 400
const MAX_PARAMS = 4
/** Files that are tables of data rather than logic (AGENTS.md allows them to be long). */
const TABLES = new Set(['packages/config/src/keys.ts'])
/** Test support that lives in src because suites of several packages share it (vitest suites, not product code). */
const TEST_SUPPORT = /(^|\/)_(conformance|test-helpers)\.ts$/

function sourceRoots() {
  if (dirs.length > 0) return dirs.map((d) => join(root, d))
  return ['apps', 'packages'].flatMap((group) =>
    readdirSync(join(root, group)).map((name) => join(root, group, name, 'src')),
  )
}

function* walk(dir) {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return
  }
  for (const name of entries) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (name === 'node_modules' || name === '__fixtures__' || name === '__snapshots__') continue
      yield* walk(path)
    } else if (
      /\.(ts|tsx|mts)$/.test(name) &&
      !/\.(test|spec|bench)\.ts$/.test(name) &&
      !name.endsWith('.d.ts')
    ) {
      if (!TEST_SUPPORT.test(name)) yield path
    }
  }
}

function functionName(node) {
  if (node.name) return node.name.getText()
  const parent = node.parent
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText()
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText()
  return '(anonymous)'
}

function inspect(path) {
  const text = readFileSync(path, 'utf8')
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  const rel = relative(root, path)
  const found = { file: rel, lines: text.split('\n').length, functions: [] }
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart()).line + 1
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line + 1
      found.functions.push({
        name: functionName(node),
        line: start,
        lines: end - start + 1,
        params: node.parameters.length,
      })
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

const files = sourceRoots().flatMap((dir) => [...walk(dir)].map(inspect))
const longFiles = files.filter((f) => f.lines > MAX_FILE && !TABLES.has(f.file))
const longFunctions = files.flatMap((f) =>
  f.functions.filter((fn) => fn.lines > MAX_FUNCTION).map((fn) => ({ file: f.file, ...fn })),
)
const manyParams = files.flatMap((f) =>
  f.functions.filter((fn) => fn.params > MAX_PARAMS).map((fn) => ({ file: f.file, ...fn })),
)
if (json) {
  console.log(JSON.stringify({ files: files.length, longFiles, longFunctions, manyParams }, null, 2))
} else {
  console.log(`${files.length} source files`)
  console.log(`files over ${MAX_FILE} lines: ${longFiles.length}`)
  for (const f of longFiles) console.log(`  ${f.file} (${f.lines})`)
  console.log(`functions over ${MAX_FUNCTION} lines: ${longFunctions.length}`)
  for (const f of longFunctions) console.log(`  ${f.file}:${f.line} ${f.name} (${f.lines})`)
  console.log(`functions with more than ${MAX_PARAMS} positional parameters: ${manyParams.length}`)
  for (const f of manyParams) console.log(`  ${f.file}:${f.line} ${f.name} (${f.params})`)
}
process.exitCode = longFiles.length + longFunctions.length + manyParams.length > 0 ? 1 : 0
