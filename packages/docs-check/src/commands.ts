import { codeBlocks, inlineCodeSpans } from './markdown'

/** An `airelays …` command line found in a document. */
export interface DocumentedCommand {
  /** Where it was found, e.g. `docs/getting-started.md`. */
  file: string
  /** The text from `airelays` to the end of the command (pipes, `;`, `)` and comments cut off). */
  text: string
  /** The words after `airelays`, placeholders (`<args>`, `[options]`, `…`) and what follows removed. */
  words: string[]
}

/** Languages of fenced blocks that hold shell commands. */
const SHELL_LANGS: ReadonlySet<string> = new Set(['', 'sh', 'bash', 'shell', 'console', 'zsh', 'text'])

/** `airelays` as a command word: at the start, after whitespace or a shell operator, followed by a space or the end. */
const COMMAND_START = /(?:^|[\s;&|(`$])airelays(?=[ \t]|$)/gm

/** Cuts a command at the first shell operator, subshell end, redirect or comment. */
function commandText(rest: string): string {
  let end = rest.length
  for (const stop of ['|', ';', '&&', ')', '`', ' #', '>', '<<', '"', "'", '\n']) {
    const at = rest.indexOf(stop)
    if (at >= 0 && at < end) end = at
  }
  return rest.slice(0, end).replace(/\\$/, '').trim()
}

/**
 * The words of a command up to the first placeholder. Optional parts are unwrapped
 * (`[--force]` → `--force`), and a `<value>` placeholder right after a flag is kept as its value;
 * any other placeholder (`<args>`, `…`) ends the command.
 */
export function commandWords(text: string): string[] {
  const words: string[] = []
  for (const raw of text.split(/\s+/).filter(Boolean)) {
    if (raw === '\\' || raw.includes('…')) break
    const word = raw.replace(/^\[/, '').replace(/\]$/, '')
    if (word === '') continue
    if (word.startsWith('<') || word.startsWith('[')) {
      if (words.at(-1)?.startsWith('-')) {
        words.push(word)
        continue
      }
      break
    }
    words.push(word)
  }
  return words
}

/** Every `airelays …` command line in shell code blocks and inline code spans of `markdown`. */
export function documentedCommands(file: string, markdown: string): DocumentedCommand[] {
  const sources = [
    ...codeBlocks(markdown)
      .filter((block) => SHELL_LANGS.has(block.lang))
      .map((block) => block.body),
    ...inlineCodeSpans(markdown),
  ]
  const out: DocumentedCommand[] = []
  for (const source of sources) {
    for (const match of source.matchAll(COMMAND_START)) {
      const start = (match.index ?? 0) + match[0].length
      const text = `airelays ${commandText(source.slice(start))}`.trim()
      out.push({ file, text, words: commandWords(text).slice(1) })
    }
  }
  return out
}

/** One option of a help screen. */
export interface HelpOption {
  /** Every spelling, e.g. `['-v', '--version']`. */
  names: string[]
  /** The option takes a value (`--port <port>`). */
  takesValue: boolean
}

/** One entry of the `Commands:` section of a help screen. */
export interface HelpCommand {
  name: string
  /** Positional arguments, e.g. `['action']` for `token [action]`. */
  args: string[]
  /** Values the description lists as `(action: show | rotate)`; empty when there are none (a free value, e.g. `logout [account]`). */
  actions: string[]
  /** The last argument takes several values (`accounts [action] [...accounts]`). */
  variadic: boolean
}

/** What a cac help screen lists. */
export interface HelpScreen {
  /** The `Commands:` section (global screen only). */
  commands: HelpCommand[]
  /** Entries of the `Options:` section. */
  options: HelpOption[]
}

/** Parses the `Commands:` and `Options:` sections of a cac help screen. */
export function parseHelp(text: string): HelpScreen {
  const commands: HelpCommand[] = []
  const options: HelpOption[] = []
  let section: 'commands' | 'options' | null = null
  for (const line of text.split('\n')) {
    if (/^Commands:\s*$/.test(line)) {
      section = 'commands'
      continue
    }
    if (/^Options:\s*$/.test(line)) {
      section = 'options'
      continue
    }
    if (/^\S/.test(line)) {
      section = null
      continue
    }
    const entry = line.trim()
    if (!entry) continue
    if (section === 'commands') {
      const head = /^([a-z][\w-]*)((?:\s+[<[](?:\.\.\.)?[\w-]+[>\]])*)/.exec(entry)
      if (!head) continue
      const args = [...(head[2] ?? '').matchAll(/[<[](?:\.\.\.)?([\w-]+)[>\]]/g)].map((m) => m[1] as string)
      const variadic = /[<[]\.\.\.[\w-]+[>\]]\s*$/.test(head[2] ?? '')
      const listed = /\(action:\s*([^)]*)\)/.exec(entry)?.[1]
      const actions = listed
        ? listed
            .split('|')
            .map((value) => value.trim())
            .filter(Boolean)
        : []
      commands.push({ name: head[1] as string, args, actions, variadic })
    } else if (section === 'options') {
      const spec = /^((?:-[\w-]+(?:,\s*)?)+)(\s+[<[][^\s>\]]+[>\]])?/.exec(entry)
      if (!spec) continue
      const names = (spec[1] as string)
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
      options.push({ names, takesValue: spec[2] !== undefined })
    }
  }
  return { commands, options }
}

/** A documented command checked against the help screens. */
export interface CommandProblem {
  command: DocumentedCommand
  problem: string
}

/** The help screens a check needs: the global one and one per command. */
export interface HelpScreens {
  global: HelpScreen
  byCommand: ReadonlyMap<string, HelpScreen>
}

/** Checks one documented command: the command exists, its action exists, every flag exists. */
export function checkCommand(command: DocumentedCommand, help: HelpScreens): string[] {
  const problems: string[] = []
  const positional: string[] = []
  const flags: string[] = []
  const words = command.words
  // Options are resolved against the command's screen once the command is known (cac lists the
  // global options there too); before that, against the global screen.
  const optionOf = (name: string): HelpOption | undefined => {
    const screen = positional[0] ? help.byCommand.get(positional[0]) : help.global
    return (screen ?? help.global).options.find((option) => option.names.includes(name))
  }
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string
    if (word.startsWith('-')) {
      const name = word.split('=')[0] as string
      flags.push(name)
      const option = optionOf(name) ?? help.global.options.find((o) => o.names.includes(name))
      if (option?.takesValue && !word.includes('=')) i++
      continue
    }
    positional.push(word)
  }
  const [name, action, ...extra] = positional
  if (name === undefined) {
    for (const flag of flags) {
      if (!help.global.options.some((option) => option.names.includes(flag)))
        problems.push(`unknown option \`${flag}\``)
    }
    return problems
  }
  const screen = help.byCommand.get(name)
  const entry = help.global.commands.find((candidate) => candidate.name === name)
  if (!entry || !screen) {
    problems.push(`unknown command \`${name}\``)
    return problems
  }
  if (action !== undefined) {
    if (entry.args.length === 0) problems.push(`\`${name}\` takes no argument, got \`${action}\``)
    else if (entry.actions.length > 0 && !entry.actions.includes(action))
      problems.push(`unknown action \`${name} ${action}\``)
  }
  if (extra.length > 0 && !entry.variadic && extra.length > entry.args.length - 1)
    problems.push(`unexpected arguments \`${extra.join(' ')}\``)
  for (const flag of flags) {
    if (!screen.options.some((option) => option.names.includes(flag)))
      problems.push(`\`airelays ${name}\` has no option \`${flag}\``)
  }
  return problems
}
