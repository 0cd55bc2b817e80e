// One-off generator for package skeletons; kept for adding packages later.
// Usage: node scripts/make-package.mjs <dir> <name> "<description>" [--private] [--app]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const [dir, name, description, ...flags] = process.argv.slice(2)
if (!dir || !name || !description) {
  console.error('usage: make-package.mjs <dir> <name> <description> [--private] [--app]')
  process.exit(2)
}
const isPrivate = flags.includes('--private')
const isApp = flags.includes('--app')
const root = join(process.cwd(), dir)
mkdirSync(join(root, 'src'), { recursive: true })
const write = (file, text) => {
  const path = join(root, file)
  if (!existsSync(path)) writeFileSync(path, text)
}
const pkg = {
  name,
  version: '0.0.0',
  description,
  type: 'module',
  license: 'MIT',
  ...(isPrivate ? { private: true } : {}),
  sideEffects: false,
  repository: { type: 'git', url: 'git+https://github.com/airelays/airelays.git', directory: dir },
  engines: { node: '>=20.19' },
  exports: {
    '.': { '@airelays/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  types: './dist/index.d.ts',
  files: ['dist'],
  scripts: {
    build: 'tsup',
    test: 'vitest run',
    typecheck: 'tsc -p tsconfig.json',
    lint: 'biome check .',
  },
  publishConfig: {
    access: 'public',
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
  },
}
write('package.json', `${JSON.stringify(pkg, null, 2)}\n`)
write(
  'tsconfig.json',
  `${JSON.stringify({ extends: isApp ? '../../tsconfig.base.json' : '../../tsconfig.library.json', include: ['src', 'test', '*.ts'] }, null, 2)}\n`,
)
write(
  'tsup.config.ts',
  `import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

const config: Options = packageBuild()

export default config
`,
)
write('vitest.config.ts', `export { packageTestConfig as default } from '../../vitest.shared.ts'\n`)
write('src/index.ts', `// Public API of ${name}. Nothing is exported yet.\nexport {}\n`)
write('README.md', `# ${name}\n\n${description}\n`)
console.log('created', dir)
