import { generateRelayToken, writeRelayToken } from '@airelays/auth-store'
import type { ConfigFlags } from '@airelays/config'
import { isConfigError, settingsSummary, writeConfig } from '@airelays/config'
import { type ClientBlock, clientBlock, loginHint, printClientSetup, serveCommand } from '../_internal/client'
import { printJson, printWarning, type Terminal } from '../_internal/output'
import { readConfiguredToken, weakTokenVerdict } from '../_internal/relay-token'
import { loadSettings } from '../_internal/settings'
import { CliError } from '../errors'

/** Options of `airelays init`. */
export interface InitOptions {
  flags: ConfigFlags
  force: boolean
  noAuth: boolean
  showToken: boolean
  json: boolean
}

/** `airelays init --json`. */
export interface InitPayload {
  app_name: 'AIRelays'
  config_path: string
  /** A new config file was created. */
  config_created: boolean
  /** The file was written by this run (created, or replaced with `--force`). */
  config_written: boolean
  bearer_token_file: string
  bearer_token_created: boolean
  bearer_token_source: 'env' | 'file' | null
  /** Only when the token was created now or `--show-token` was given; else null. */
  relay_token: string | null
  client: ClientBlock
  next_steps: string[]
}

/** `airelays init`: write the config file (env overrides baked in) and create a relay token. */
export async function runInit(term: Terminal, options: InitOptions): Promise<number> {
  const { config } = await loadSettings(options.flags, { term, json: options.json, onErrors: 'fail' })
  const path = config.config_file.path

  let configCreated = false
  let configWritten = false
  try {
    const written = await writeConfig(path, config, { force: options.force })
    configCreated = written.created
    configWritten = true
  } catch (error) {
    if (!isConfigError(error) || error.code !== 'config_exists') throw error
  }

  let token = await readConfiguredToken(config)
  let tokenCreated = false
  if (config.security.require_bearer_auth && token.token === null) {
    await writeRelayToken(config.security.bearer_token_file, generateRelayToken())
    token = await readConfiguredToken(config)
    tokenCreated = true
  }
  // An existing token under 128 bits (a hand-set file or AIRELAYS_BEARER_TOKEN): `serve` would
  // refuse it, so `init` does not report success with it either (issue 26, item 2).
  const weak = weakTokenVerdict(config, token, '`airelays serve` would refuse it')
  if (weak.refusal !== null) throw new CliError(weak.refusal)
  if (weak.warning !== null) printWarning(term, weak.warning)

  const reveal = tokenCreated || options.showToken
  const summary = settingsSummary(config)
  const client = clientBlock(
    config,
    summary.client_base_url,
    reveal ? { relayToken: token.token } : undefined,
  )
  const nextSteps: string[] = []
  if (config.providers.openai.enabled) nextSteps.push(loginHint(process.env))
  nextSteps.push(serveCommand(config))

  const payload: InitPayload = {
    app_name: 'AIRelays',
    config_path: path,
    config_created: configCreated,
    config_written: configWritten,
    bearer_token_file: config.security.bearer_token_file,
    bearer_token_created: tokenCreated,
    bearer_token_source: token.source,
    relay_token: reveal ? token.token : null,
    client,
    next_steps: nextSteps,
  }
  if (options.json) {
    printJson(term.out, payload)
    return 0
  }

  const out = term.out
  out.title('Init')
  out.section('Relay')
  const fileState = configCreated
    ? 'created'
    : configWritten
      ? 'rewritten'
      : 'existing, kept; --force rewrites it'
  out.field('Config file', `${path} (${fileState})`)
  if (!config.security.require_bearer_auth) {
    out.field('Bearer auth', 'disabled')
    out.field('Relay token', token.token === null ? 'not used' : 'present (not required)')
  } else {
    out.field('Bearer auth', 'required')
    out.field('Relay token', tokenCreated ? 'created' : 'existing')
    out.field('Token source', token.source === 'env' ? 'env (AIRELAYS_BEARER_TOKEN)' : token.source)
  }
  out.field('Token file', config.security.bearer_token_file)
  out.field('Client base URL', summary.client_base_url)
  printClientSetup(out, client)
  if (tokenCreated)
    out.note(out.style.yellow('Keep this token secret; `airelays token show` prints it again.'))
  if (!configWritten && options.noAuth) {
    out.line()
    out.note(
      out.style.yellow(
        'The existing config file was kept, so `--no-auth` is not saved in it; add --force to rewrite it.',
      ),
    )
  }
  out.steps('Next Steps', nextSteps)
  return 0
}
