import { generateRelayToken, writeRelayToken } from '@airelays/auth-store'
import type { ConfigFlags } from '@airelays/config'
import { isLoopbackHost } from '@airelays/ratelimit'
import { serveRelay } from '@airelays/server'
import { clientBlock, loginHint, printClientSetup } from '../_internal/client'
import { clientVersionFor, clientVersionText } from '../_internal/client-version'
import { type InterruptSignal, onInterrupt } from '../_internal/interrupt'
import { readLoginState } from '../_internal/login-state'
import { printWarning, type Terminal } from '../_internal/output'
import { NO_TOKEN_MESSAGE, readConfiguredToken, weakTokenVerdict } from '../_internal/relay-token'
import { loadSettings } from '../_internal/settings'
import { CliError } from '../errors'
import { VERSION } from '../version'

/** Options of `airelays serve`. */
export interface ServeOptions {
  /** Global flags plus `host`, `port` and `noAuth`. */
  flags: ConfigFlags
}

/** `airelays serve`: checks the token, prints the banner and runs the relay until SIGINT/SIGTERM. */
export async function runServe(term: Terminal, options: ServeOptions): Promise<number> {
  const loaded = await loadSettings(options.flags, { term, json: false, onErrors: 'fail' })
  const { config } = loaded
  const clientVersion = await clientVersionFor(loaded)
  const { host, port } = config.server

  let token = await readConfiguredToken(config)
  let tokenGenerated = false
  if (config.security.require_bearer_auth && token.token === null) {
    if (!config.security.auto_generate_bearer_token) throw new CliError(NO_TOKEN_MESSAGE)
    await writeRelayToken(config.security.bearer_token_file, generateRelayToken())
    token = await readConfiguredToken(config)
    tokenGenerated = true
  }
  // A weak token falls to brute force even at the throttled rate (issue 26, item 2).
  const weak = weakTokenVerdict(config, token, 'the relay does not start')
  if (weak.refusal !== null) throw new CliError(weak.refusal)
  if (weak.warning !== null) printWarning(term, weak.warning)
  if (!isLoopbackHost(host)) {
    printWarning(
      term,
      config.security.require_bearer_auth
        ? `The relay listens on ${host}, so it is reachable from the network. Keep bearer auth on and the relay token secret.`
        : `The relay listens on ${host} with bearer auth OFF: anyone who can reach this machine can use your ChatGPT subscription. Drop --no-auth or bind 127.0.0.1.`,
    )
  }

  const login = await readLoginState(config)

  let relay: Awaited<ReturnType<typeof serveRelay>>
  try {
    relay = await serveRelay({
      config,
      host,
      port,
      handleSignals: false,
      version: VERSION,
      clientVersion: clientVersion.version,
      configFile: config.config_file.path,
    })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'EADDRINUSE') {
      throw new CliError(
        `Port ${port} on ${host} is already in use (another relay?). Stop it or choose another port with --port.`,
      )
    }
    if (code === 'EACCES')
      throw new CliError(`Not allowed to listen on ${host}:${port}; choose a port above 1023.`)
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new CliError(`Cannot listen on ${host}: it is not an address of this machine.`)
    }
    throw error
  }

  const baseUrl = `${relay.url}/v1`
  const out = term.out
  out.title('Server')
  out.section('Listener')
  out.field('Base URL', baseUrl)
  out.field('Host', host)
  out.field('Port', new URL(relay.url).port)

  out.section('Client Auth')
  if (config.security.require_bearer_auth) {
    out.field('Bearer auth', 'required')
    out.field('Token source', token.source === 'env' ? 'env (AIRELAYS_BEARER_TOKEN)' : token.source)
    out.field('Token file', config.security.bearer_token_file)
    out.field('Auth header', 'Authorization: Bearer <AIRelays token>')
    out.field('Reveal token', 'airelays token show')
    if (tokenGenerated) out.note('A new relay token was generated (auto_generate_bearer_token).')
  } else {
    out.field('Bearer auth', 'disabled')
    out.field('Access mode', 'open')
    out.field('Client key', 'optional placeholder only')
  }

  out.section('Providers')
  out.field('OpenAI', config.providers.openai.enabled ? 'enabled' : 'disabled')
  out.field('OpenAI ready', config.providers.openai.enabled && login.ready_for_requests)
  out.field('ChatGPT login', login.ready_for_requests ? 'ready' : 'missing')
  out.field('Claude', 'not supported by this version')
  out.field('Client version', `${clientVersion.version} (${clientVersionText(clientVersion.source)})`)
  if (login.error) out.note(out.style.yellow(`Credentials could not be read: ${login.error}`))

  printClientSetup(out, clientBlock(config, baseUrl))
  if (config.providers.openai.enabled && !login.ready_for_requests) {
    out.steps('Next Steps', [loginHint(process.env)])
  }
  out.line()
  out.line(`AIRelays is listening on ${baseUrl} (Ctrl-C to stop)`)

  const signal = await new Promise<InterruptSignal>((resolve) => {
    const dispose = onInterrupt((received) => {
      dispose()
      resolve(received)
    })
  })
  out.line(
    `Shutting down (${signal}): letting open requests finish for up to 10 s; press Ctrl-C again to stop at once.`,
  )
  const disposeForce = onInterrupt(() => {
    void relay.close({ force: true })
  })
  try {
    await relay.close()
  } finally {
    disposeForce()
  }
  out.line('AIRelays stopped.')
  return 0
}
