// docs/troubleshooting.md quotes every error message word for word. Each quoted message must exist
// in the relay, the CLI or a library they use; the ones users search for must all be documented.
//
// Neither @airelays/server nor the CLI exports an error catalogue, so the messages are matched
// against the TypeScript sources (test files excluded). When the server gains a catalogue export,
// its messages are used as well (see `catalogueMessages`).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { configKeys } from '@airelays/config'
import * as server from '@airelays/server'
import { describe, expect, it } from 'vitest'
import { headings, inlineCodeSpans } from '../src/markdown'
import {
  filesContaining,
  messagePattern,
  messageSources,
  quotedMessages,
  type SourceText,
} from '../src/messages'
import { docsDir } from '../src/workspace'

const DOC = join(docsDir, 'troubleshooting.md')

/** The messages users search for (design §2), each with the status it comes with. */
const REQUIRED: readonly { status: number; message: string }[] = [
  { status: 401, message: 'Missing or invalid AIRelays bearer token.' },
  { status: 503, message: 'No ChatGPT login found. Run `airelays login` first.' },
  { status: 503, message: 'Token refresh failed: …' },
  { status: 429, message: 'Too many invalid authentication attempts from this IP.' },
  { status: 429, message: 'Request rate limit exceeded for this IP.' },
  {
    status: 501,
    message:
      'This subscription-backed server does not expose a verified upstream implementation for this route yet.',
  },
  { status: 413, message: 'Uploaded file exceeds the configured AIRelays upload limit of … bytes.' },
  { status: 422, message: 'Unknown local file id `…`. Upload it first with `POST /v1/files`.' },
]

/** Messages of an error catalogue, if the server exports one under a conventional name. */
function catalogueMessages(): SourceText[] {
  const exports = server as Record<string, unknown>
  const catalogue = exports.errorCatalog ?? exports.errorCatalogue ?? exports.RELAY_ERRORS
  if (!catalogue || typeof catalogue !== 'object') return []
  const messages = Object.values(catalogue as Record<string, unknown>)
    .map((entry) => (typeof entry === 'string' ? entry : (entry as { message?: unknown })?.message))
    .filter((message): message is string => typeof message === 'string')
  return [{ file: '@airelays/server error catalogue', text: messages.join('\n') }]
}

describe('docs/troubleshooting.md', () => {
  it('has a section for every required message, under its status', async () => {
    const doc = await readFile(DOC, 'utf8')
    const titles = headings(doc).map((heading) => heading.text)
    for (const { status, message } of REQUIRED) {
      const title = titles.find((text) => text.includes(`"${message}"`))
      expect(title, `no heading quotes "${message}"`).toBeDefined()
      expect(title, message).toMatch(new RegExp(`^${status}\\b`))
    }
    // The upstream's usage-limit 429 has no fixed message; its section names the reset fields.
    const usage = titles.find((text) => /^429\b.*usage limit/i.test(text))
    expect(usage, 'no 429 usage-limit section').toBeDefined()
    expect(doc).toContain('resets_in_seconds')
  })

  it('quotes only messages the relay, the CLI or their libraries really produce', async () => {
    const doc = await readFile(DOC, 'utf8')
    const quoted = quotedMessages(doc)
    expect(quoted.length).toBeGreaterThanOrEqual(REQUIRED.length)
    const sources = [...messageSources(), ...catalogueMessages()]
    const missing = quoted
      .filter(({ message }) => filesContaining(message, sources).length === 0)
      .map(({ message, line }) => `troubleshooting.md:${line}: "${message}"`)
    expect(missing, 'quoted messages found in no source file').toEqual([])
  })

  it('gives every 401, 413, 429 and 503 section a command, setting, variable or route that fixes it', async () => {
    const doc = await readFile(DOC, 'utf8')
    const keys = configKeys.map((key) => key.key)
    const sections = doc.split(/^### /m).slice(1)
    const operational = sections.filter((section) => /^(401|413|429|503)\b/.test(section))
    expect(operational.length).toBeGreaterThanOrEqual(8)
    const withoutFix = operational
      .filter((section) => {
        const spans = inlineCodeSpans(section)
        return !spans.some(
          (span) =>
            /^(npx )?airelays [a-z]/.test(span) ||
            /^AIRELAYS_[A-Z_]+/.test(span) ||
            /^(GET|POST|DELETE) \/v1\//.test(span) ||
            keys.some((key) => span === key || span.startsWith(`${key} =`)),
        )
      })
      .map((section) => section.split('\n')[0])
    expect(withoutFix).toEqual([])
  })
})

describe('the message matcher', () => {
  it('treats … as a bounded wildcard and nothing else as special', () => {
    const sources = [
      {
        file: 'a.ts',
        // A template literal as it appears in a source file (`$` + `{limit}`).
        text: `message: \`Request body exceeds the configured AIRelays limit of \${limit} bytes.\``,
      },
      { file: 'b.ts', text: "message: 'Only `n=1` is supported.'" },
    ]
    expect(
      filesContaining('Request body exceeds the configured AIRelays limit of … bytes.', sources),
    ).toEqual(['a.ts'])
    expect(filesContaining('Only `n=1` is supported.', sources)).toEqual(['b.ts'])
    expect(filesContaining('Only `n=2` is supported.', sources)).toEqual([])
    expect(messagePattern('a.b').test('axb')).toBe(false)
  })

  it('reads the messages quoted in headings', () => {
    expect(
      quotedMessages(
        '# T\n\n### 401 "One." / "Two `x`."\n\nText "not a heading".\n```\n### "in code"\n```\n',
      ),
    ).toEqual([
      { message: 'One.', line: 3 },
      { message: 'Two `x`.', line: 3 },
    ])
  })

  it('reads unescaped backticks out of template literals', () => {
    const sources = messageSources(['packages/upstream-client/src'])
    expect(
      filesContaining(
        'Device-code login was not approved within … minute(s). The code may have expired or the request was denied; run `airelays login --device` to get a fresh code.',
        sources,
      ),
    ).toEqual(['packages/upstream-client/src/device-login.ts'])
  })
})
