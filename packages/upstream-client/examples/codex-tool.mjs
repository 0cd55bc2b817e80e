// codex-tool.mjs: a small Node tool that uses only @airelays/upstream-client.
// The first run signs in with a device code; then it lists the models, streams one answer, shows
// the subscription usage and refreshes the tokens on demand.
//   node codex-tool.mjs "Say hello."
// CODEX_TOOL_AUTH_FILE moves the login file; CODEX_TOOL_ISSUER_URL / CODEX_TOOL_BASE_URL point the
// tool at another server (the package's tests run it against @airelays/upstream-emulator).
import { randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { createUpstreamClient, isUpstreamError, startDeviceLogin } from '@airelays/upstream-client'

const authFile = process.env.CODEX_TOOL_AUTH_FILE ?? join(homedir(), '.codex-tool', 'auth.json')
const issuerUrl = process.env.CODEX_TOOL_ISSUER_URL // undefined: https://auth.openai.com
const baseUrl = process.env.CODEX_TOOL_BASE_URL // undefined: https://chatgpt.com/backend-api/codex
// Errors that need a new login say this instead of naming the airelays command.
const loginHint = `Delete ${authFile} and run codex-tool again to sign in.`

/** A CredentialStore in a 0600 JSON file, replaced atomically (temp file + rename). */
const credentials = {
  async load() {
    try {
      return JSON.parse(await readFile(authFile, 'utf8'))
    } catch (error) {
      if (error.code === 'ENOENT') return null
      throw error
    }
  },
  async save(auth) {
    await mkdir(dirname(authFile), { recursive: true, mode: 0o700 })
    const temp = `${authFile}.${randomUUID()}.tmp`
    try {
      await writeFile(temp, `${JSON.stringify(auth, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
      await rename(temp, authFile)
    } catch (error) {
      await rm(temp, { force: true })
      throw error
    }
  },
}

if (!(await credentials.load())) {
  const login = await startDeviceLogin({ issuerUrl, loginHint })
  // expiresAt is a Date: when the code stops working.
  console.log(`Open ${login.verificationUrl} and enter ${login.userCode}`)
  console.log(`(the code expires at ${login.expiresAt.toISOString()})`)
  await credentials.save(await login.waitForCompletion({ onPending: () => process.stderr.write('.') }))
  console.log('Signed in.')
}

const upstream = createUpstreamClient({
  credentials,
  issuerUrl,
  baseUrl,
  loginHint,
  hooks: { onRefresh: ({ reason, outcome }) => console.log(`Token refresh (${reason}): ${outcome}`) },
})
try {
  const models = await upstream.models()
  console.log(`Models: ${models.map((model) => model.slug).join(', ')}`)

  const stream = await upstream.responses({
    model: models[0].slug,
    instructions: 'You are terse.',
    input: [{ role: 'user', content: [{ type: 'input_text', text: process.argv[2] ?? 'Say hello.' }] }],
    store: false,
    stream: true,
  })
  for await (const event of stream) {
    if (event.type === 'response.output_text.delta') process.stdout.write(String(event.delta))
    if (event.type === 'response.completed') {
      console.log(`\nTokens: ${event.response.usage?.total_tokens ?? 'unknown'}`)
    }
  }

  const { windows } = await upstream.usage()
  console.log(`5-hour window: ${windows.five_hour?.used_percent ?? '?'}% used`)
  console.log(`Weekly window: ${windows.weekly?.used_percent ?? '?'}% used`)

  const status = await upstream.refresh()
  console.log(`Access token valid until ${status.access_token_expires_at}`)
} catch (error) {
  if (!isUpstreamError(error)) throw error
  console.error(`${error.code}: ${error.message}`)
  process.exitCode = 1
} finally {
  await upstream.close()
}
