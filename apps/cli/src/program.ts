import { type CAC, type Command, cac } from 'cac'
import { globalFlags, hasFlag, portFlag, stringFlag } from './_internal/argv'
import { invokedAs, withCommandPrefix } from './_internal/invocation'
import type { Terminal } from './_internal/output'
import { usageError } from './errors'
import { VERSION } from './version'

type Options = Record<string, unknown>

/**
 * Declares a `--no-<name>` switch. cac gives every negated option an implied `default: true`,
 * which its help prints as "(default: true)" next to e.g. `--no-browser` — wrong for a switch that
 * is off unless given. The default is dropped: the option is `false` when given, absent otherwise.
 */
function negatedOption(command: Command, rawName: string, description: string): Command {
  command.option(rawName, description)
  const option = command.options.at(-1)
  if (option?.negated) option.config.default = undefined
  return command
}

/** Usage lines of commands whose `rawName` says too little (`token [action]`). */
const USAGE: Readonly<Record<string, readonly string[]>> = {
  token: ['token show [--raw | --json]', 'token rotate [--json]'],
  accounts: [
    'accounts [list] [--json]',
    'accounts order ACCOUNT [ACCOUNT …] [--json]',
    'accounts refresh [--json]',
    'accounts remove ACCOUNT [--json]',
  ],
}

interface HelpSection {
  title?: string
  body: string
}

/** What every command declaration needs: the raw argv, the terminal and the exit-code sink. */
interface ProgramContext {
  readonly argv: readonly string[]
  readonly term: Terminal
  /** Records the command's exit code (undefined reads as 0). */
  readonly done: (code: number | undefined) => void
}

const json = (options: Options): boolean => options.json === true

/**
 * The cac wiring, and nothing else: every command declares its flags, normalises them, and
 * imports its module lazily, so `airelays --version` and `airelays status` load only what they
 * use. Resolves with the exit code.
 */
export async function runProgram(argv: readonly string[], term: Terminal): Promise<number> {
  const cli = cac('airelays')
  let exitCode = 0
  const context: ProgramContext = {
    argv,
    term,
    done: (code) => {
      exitCode = code ?? 0
    },
  }
  declareGlobalOptions(cli, invokedAs(term.env))
  // Declaration order is the order of `airelays --help`.
  for (const declare of COMMANDS) declare(cli, context)

  cli.parse(['node', 'airelays', ...argv], { run: false })

  if (cli.options.help) return 0
  if (!cli.matchedCommand) {
    if (cli.options.version && cli.args.length === 0) {
      term.out.line(`airelays ${VERSION}`)
      return 0
    }
    const name = cli.args[0]
    if (name !== undefined) throw usageError(`Unknown command \`${String(name)}\`.`)
    cli.outputHelp()
    throw usageError('Missing command.')
  }
  await cli.runMatchedCommand()
  return exitCode
}

function declareGlobalOptions(cli: CAC, prefix: string): void {
  cli
    .option('--config <path>', 'Config file (default ~/.config/airelays/config.toml)')
    .option('--data-dir <path>', 'Data directory (default ~/.airelays)')
    .option('--logs-dir <path>', 'Traffic log directory (default <data-dir>/logs)')
    .option('--auth-storage <mode>', 'Where ChatGPT credentials are stored: auto, file or keyring')
    .option('--bearer-token-file <path>', 'Relay token file (default <data-dir>/relay-token)')
    .option('-v, --version', 'Print the version')
    .help((sections: HelpSection[]): HelpSection[] => {
      // A command's screen: its name and description first, and its real usage.
      const command = cli.matchedCommand
      const typed = (list: HelpSection[]): HelpSection[] =>
        list.map((section) => ({ ...section, body: withCommandPrefix(section.body, prefix) }))
      if (!command) return typed(sections)
      const usage = USAGE[command.name]
      return typed([
        { body: `airelays ${command.name}` },
        { body: command.description },
        ...sections
          .slice(1)
          .map((section) =>
            section.title === 'Usage' && usage
              ? { ...section, body: usage.map((line) => `  $ airelays ${line}`).join('\n') }
              : section,
          ),
      ])
    })
}

function declareInit(cli: CAC, { argv, term, done }: ProgramContext): void {
  const init = cli
    .command('init', 'Write the config file and create a relay token')
    .option('--force', 'Overwrite an existing config file')
  negatedOption(init, '--no-auth', 'Turn bearer auth off (no relay token)')
    .option('--show-token', 'Print the relay token even when it already existed')
    .option('--json', 'Print JSON')
    .action(async (options: Options) => {
      const { runInit } = await import('./commands/init')
      done(
        await runInit(term, {
          flags: { ...globalFlags(argv, options), ...(options.auth === false ? { noAuth: true } : {}) },
          force: options.force === true,
          noAuth: options.auth === false,
          showToken: options.showToken === true,
          json: json(options),
        }),
      )
    })
}

function declareLogin(cli: CAC, { argv, term, done }: ProgramContext): void {
  const login = cli
    .command('login', 'Sign in with your ChatGPT subscription')
    .option('--device', 'Use the device-code flow (for machines without a browser)')
    .option('--browser', 'Use the browser flow even on a headless machine')
  negatedOption(login, '--no-browser', 'Do not open a browser; only print the URL')
    .option('--workspace-id <id>', 'Only accept a login into this workspace (account) id')
    .option('--replace <account>', 'Sign this existing account in again (e-mail, prefix or slug)')
    .action(async (options: Options) => {
      const { runLogin } = await import('./commands/login')
      // `--browser` and `--no-browser` share one cac key, so they are read from argv.
      done(
        await runLogin(term, {
          flags: globalFlags(argv, options),
          device: options.device === true,
          browser: hasFlag(argv, '--browser'),
          noBrowser: hasFlag(argv, '--no-browser'),
          workspaceId: stringFlag(argv, 'workspace-id', options.workspaceId),
          replace: stringFlag(argv, 'replace', options.replace),
        }),
      )
    })
}

function declareLogout(cli: CAC, { argv, term, done }: ProgramContext): void {
  cli
    .command('logout [account]', 'Revoke and delete a stored ChatGPT login (ACCOUNT: e-mail, prefix or slug)')
    .option('--all', 'Sign every account out')
    .option('--json', 'Print JSON')
    .action(async (account: unknown, options: Options) => {
      const { runLogout } = await import('./commands/logout')
      done(
        await runLogout(term, {
          flags: globalFlags(argv, options),
          json: json(options),
          account: account === undefined ? undefined : String(account),
          all: options.all === true,
        }),
      )
    })
}

function declareAccounts(cli: CAC, { argv, term, done }: ProgramContext): void {
  cli
    .command(
      'accounts [action] [...accounts]',
      'List, order, refresh or remove the signed-in ChatGPT accounts (action: list | order | refresh | remove)',
    )
    .option('--json', 'Print JSON')
    .action(async (action: unknown, rest: unknown, options: Options) => {
      const names = Array.isArray(rest) ? rest.map(String) : []
      const verb = action === undefined ? 'list' : String(action)
      if (!['list', 'order', 'refresh', 'remove'].includes(verb)) {
        throw usageError(`Unknown accounts action \`${verb}\`: use list, order, refresh or remove.`)
      }
      if (verb === 'order' && names.length === 0)
        throw usageError('Name the accounts in order: `airelays accounts order A B …`.')
      if (verb === 'remove' && names.length !== 1)
        throw usageError('Name one account: `airelays accounts remove ACCOUNT`.')
      if ((verb === 'list' || verb === 'refresh') && names.length > 0) {
        throw usageError(`\`airelays accounts ${verb}\` takes no account.`)
      }
      const flags = globalFlags(argv, options)
      if (verb === 'remove') {
        const { runLogout } = await import('./commands/logout')
        done(await runLogout(term, { flags, json: json(options), account: names[0], viaRemove: true }))
        return
      }
      const { runAccounts } = await import('./commands/accounts')
      done(
        await runAccounts(term, {
          flags,
          json: json(options),
          action: verb as 'list' | 'order' | 'refresh',
          names,
        }),
      )
    })
}

function declareServe(cli: CAC, { argv, term, done }: ProgramContext): void {
  const serve = cli
    .command('serve', 'Run the relay')
    .option('--host <host>', 'Listen address (default 127.0.0.1)')
    .option('--port <port>', 'Listen port (default 8080)')
    .option('--allow-weak-token', 'Start even with a relay token under 128 bits')
  negatedOption(serve, '--no-auth', 'Serve without the relay token (open mode)').action(
    async (options: Options) => {
      const { runServe } = await import('./commands/serve')
      const host = stringFlag(argv, 'host', options.host)
      const port = portFlag(argv, options.port)
      if (host !== undefined && host.trim() === '') throw usageError('--host needs a non-empty value.')
      done(
        await runServe(term, {
          flags: {
            ...globalFlags(argv, options),
            ...(host === undefined ? {} : { host }),
            ...(port === undefined ? {} : { port }),
            ...(options.auth === false ? { noAuth: true } : {}),
            ...(options.allowWeakToken === true ? { allowWeakToken: true } : {}),
          },
        }),
      )
    },
  )
}

function declareStatus(cli: CAC, { argv, term, done }: ProgramContext): void {
  cli
    .command('status', 'Show the settings, the relay token and the ChatGPT login')
    .option('--json', 'Print JSON')
    .action(async (options: Options) => {
      const { runStatus } = await import('./commands/status')
      done(await runStatus(term, { flags: globalFlags(argv, options), json: json(options) }))
    })
}

function declareToken(cli: CAC, { argv, term, done }: ProgramContext): void {
  cli
    .command('token [action]', 'Show or rotate the relay token (action: show | rotate)')
    .option('--raw', 'With show: print only the token and a newline (for scripts)')
    .option('--json', 'Print JSON')
    .action(async (action: unknown, options: Options) => {
      if (action === undefined) {
        throw usageError('Missing token action: use `airelays token show` or `airelays token rotate`.')
      }
      if (action !== 'show' && action !== 'rotate') {
        throw usageError(`Unknown token action \`${String(action)}\`: use \`show\` or \`rotate\`.`)
      }
      const raw = options.raw === true
      if (raw && action !== 'show') throw usageError('--raw only applies to `airelays token show`.')
      if (raw && json(options)) throw usageError('Use either --raw or --json, not both.')
      const { runToken } = await import('./commands/token')
      done(await runToken(term, { flags: globalFlags(argv, options), action, json: json(options), raw }))
    })
}

function declareDoctor(cli: CAC, { argv, term, done }: ProgramContext): void {
  cli
    .command('doctor', 'Check the settings, the login and the upstream')
    .option('--skip-response', 'Skip the test request to the upstream /responses')
    .option('--json', 'Print JSON')
    .action(async (options: Options) => {
      const { runDoctor } = await import('./commands/doctor')
      done(
        await runDoctor(term, {
          flags: globalFlags(argv, options),
          skipResponse: options.skipResponse === true,
          json: json(options),
        }),
      )
    })
}

function declareModels(cli: CAC, { argv, term, done }: ProgramContext): void {
  cli
    .command('models', 'List the models of the running relay')
    .option('--json', 'Print the raw /v1/models payload')
    .action(async (options: Options) => {
      const { runModels } = await import('./commands/models')
      done(await runModels(term, { flags: globalFlags(argv, options), json: json(options) }))
    })
}

function declareLogs(cli: CAC, { argv, term, done }: ProgramContext): void {
  cli
    .command('logs', 'Show the traffic log (place, retention, size); change its retention and size budget')
    .option('--retention-days <days>', 'Delete log files older than this many days (0 keeps them)')
    .option('--max-size <size>', 'Size budget of all logs: bytes, or e.g. 500MB, 2GiB; 0 means no limit')
    .option('--json', 'Print JSON')
    .action(async (options: Options) => {
      // A bare `--max-size` arrives as `true`: a missing value, validated by the command.
      const text = (value: unknown): string | undefined =>
        value === undefined ? undefined : value === true ? '' : String(value)
      const { runLogs } = await import('./commands/logs')
      done(
        await runLogs(term, {
          flags: globalFlags(argv, options),
          json: json(options),
          retentionDays: text(options.retentionDays),
          maxSize: text(options.maxSize),
        }),
      )
    })
}

function declareDemo(cli: CAC, { term, done }: ProgramContext): void {
  cli
    .command('demo', 'Offline demo: emulated upstream, device login, relay and one streamed answer')
    .action(async () => {
      const { runDemo } = await import('./commands/demo')
      done(await runDemo(term))
    })
}

/** Every command, in the order `airelays --help` lists them. */
const COMMANDS: readonly ((cli: CAC, context: ProgramContext) => void)[] = [
  declareInit,
  declareLogin,
  declareLogout,
  declareAccounts,
  declareServe,
  declareStatus,
  declareToken,
  declareDoctor,
  declareModels,
  declareLogs,
  declareDemo,
]
