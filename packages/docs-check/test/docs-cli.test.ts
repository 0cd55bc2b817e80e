// Every `airelays …` command and flag the docs and READMEs name must exist in the real CLI: each
// one is checked against the `--help` output of the built bin (`node apps/cli/bin/airelays.mjs`).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, runCli } from '../src/build'
import {
  checkCommand,
  type DocumentedCommand,
  documentedCommands,
  type HelpScreen,
  type HelpScreens,
  parseHelp,
} from '../src/commands'
import { docsDir, repoRoot, workspacePackages } from '../src/workspace'

let home: string
let help: HelpScreens
let documents: { file: string; text: string }[]
let commands: DocumentedCommand[]

async function helpFor(args: string[]): Promise<HelpScreen> {
  const result = await runCli([...args, '--help'], home)
  expect(result.code, `airelays ${args.join(' ')} --help: ${result.stderr}`).toBe(0)
  return parseHelp(result.stdout)
}

beforeAll(async () => {
  await ensureBuilt()
  home = await mkdtemp(join(tmpdir(), 'airelays-docs-cli-'))
  const global = await helpFor([])
  const byCommand = new Map<string, HelpScreen>()
  for (const command of global.commands) byCommand.set(command.name, await helpFor([command.name]))
  help = { global, byCommand }

  const paths = [
    ...(await readdir(docsDir)).filter((name) => name.endsWith('.md')).map((name) => join(docsDir, name)),
    join(repoRoot, 'README.md'),
    ...workspacePackages().map((pkg) => join(pkg.dir, 'README.md')),
  ]
  documents = []
  for (const path of paths) {
    const text = await readFile(path, 'utf8').catch(() => null)
    if (text !== null) documents.push({ file: relative(repoRoot, path), text })
  }
  commands = documents.flatMap((doc) => documentedCommands(doc.file, doc.text))
}, 900_000)

afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true })
})

describe('the help screens', () => {
  it('list the commands of the product contract', () => {
    const names = help.global.commands.map((command) => command.name)
    for (const name of ['init', 'login', 'logout', 'serve', 'status', 'token', 'doctor', 'models', 'demo'])
      expect(names).toContain(name)
    expect(help.global.commands.find((command) => command.name === 'token')?.actions).toEqual([
      'show',
      'rotate',
    ])
  })
})

describe('commands named in the docs', () => {
  it('are found in code blocks and inline code', () => {
    const texts = new Set(commands.map((command) => command.words.join(' ')))
    for (const expected of ['init', 'login --device', 'serve', 'token show', 'status', 'doctor'])
      expect(texts, expected).toContain(expected)
  })

  it('exist in the CLI with every flag they use', () => {
    const problems: string[] = []
    for (const command of commands) {
      for (const problem of checkCommand(command, help))
        problems.push(`${command.file}: \`${command.text}\`: ${problem}`)
    }
    expect(problems).toEqual([])
  })

  it('cover every command and every flag the CLI has (docs/ only)', () => {
    const docsText = documents
      .filter((doc) => doc.file.startsWith('docs/'))
      .map((doc) => doc.text)
      .join('\n')
    const undocumented: string[] = []
    for (const command of help.global.commands) {
      if (!docsText.includes(`airelays ${command.name}`)) undocumented.push(`airelays ${command.name}`)
      for (const action of command.actions) {
        if (!docsText.includes(`airelays ${command.name} ${action}`))
          undocumented.push(`airelays ${command.name} ${action}`)
      }
      for (const option of help.byCommand.get(command.name)?.options ?? []) {
        const long = option.names.find((name) => name.startsWith('--'))
        if (long && long !== '--help' && !docsText.includes(long))
          undocumented.push(`${command.name} ${long}`)
      }
    }
    expect(undocumented).toEqual([])
  })
})

describe('the checker itself', () => {
  const screens = (): HelpScreens => help

  it('rejects an unknown command, action or flag and accepts global flags anywhere', () => {
    const check = (text: string): string[] =>
      checkCommand(documentedCommands('x.md', `\`${text}\``)[0] as DocumentedCommand, screens())
    expect(check('airelays frobnicate')).toEqual(['unknown command `frobnicate`'])
    expect(check('airelays token burn')).toEqual(['unknown action `token burn`'])
    expect(check('airelays serve --no-such-flag')).toEqual([
      '`airelays serve` has no option `--no-such-flag`',
    ])
    expect(check('airelays login --device')).toEqual([])
    expect(check('airelays --data-dir /srv/ai status --json')).toEqual([])
    expect(check('airelays serve --port 8081 --host 127.0.0.1')).toEqual([])
    expect(check('airelays --version')).toEqual([])
    expect(check('airelays serve [--host <host>] [--port <port>] [--no-auth]')).toEqual([])
    expect(check('airelays init [--forse]')).toEqual(['`airelays init` has no option `--forse`'])
  })

  it('reads commands out of shell blocks, stopping at pipes and placeholders', () => {
    const found = documentedCommands(
      'x.md',
      [
        '```sh',
        'export KEY="$(npx airelays token show --json | node -p 1)"',
        'pnpm airelays <args>',
        '```',
        '',
        'Prose mentions ~/.airelays and @airelays/config, not commands; `airelays doctor --json` is one.',
        '',
        '```ts',
        "run(['airelays', 'serve'])",
        '```',
      ].join('\n'),
    )
    expect(found.map((command) => command.words.join(' '))).toEqual([
      'token show --json',
      '',
      'doctor --json',
    ])
  })
})
