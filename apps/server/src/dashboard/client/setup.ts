// The Setup page: copy-ready snippets with the relay's real base URL, and the relay token behind a
// reveal button and a confirmed rotation.

import { BASE, call, NEEDS_TOKEN, setToken, token } from './api'
import { button, dl, h } from './dom'
import { confirmStep } from './page'

function snippet(title: string, code: string): HTMLElement {
  const copy = button(
    'Copy',
    () =>
      navigator.clipboard?.writeText(code).then(
        () => {
          copy.textContent = 'Copied'
        },
        () => {
          copy.textContent = 'Select and copy'
        },
      ),
    { 'aria-label': `Copy the ${title} snippet` },
  )
  return h(
    'div',
    {},
    h('h3', {}, title),
    h('div', { class: 'snippet' }, h('pre', { tabindex: '0' }, code), copy),
  )
}

function snippets(base: string, key: string): HTMLElement[] {
  const api1 = `${base}/v1`
  const bearer = NEEDS_TOKEN ? '$(airelays token show --raw)' : 'anything'
  const chat = `{"model":"gpt-5.5","messages":[{"role":"user","content":"Hello"}]}`
  return [
    snippet(
      'curl',
      `curl ${api1}/chat/completions \\\n  -H "Authorization: Bearer ${bearer}" \\\n  -H "Content-Type: application/json" \\\n  -d '${chat}'`,
    ),
    snippet(
      'openai SDK (Node)',
      `// OPENAI_API_KEY=${key}\nimport OpenAI from 'openai'\nconst client = new OpenAI({ baseURL: '${api1}', apiKey: process.env.OPENAI_API_KEY })\nconst r = await client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello' }] })\nconsole.log(r.choices[0].message.content)`,
    ),
    snippet(
      'openai SDK (Python)',
      `# OPENAI_API_KEY=${key}\nfrom openai import OpenAI\nclient = OpenAI(base_url="${api1}")\nr = client.chat.completions.create(model="gpt-5.5", messages=[{"role": "user", "content": "Hello"}])\nprint(r.choices[0].message.content)`,
    ),
    snippet(
      'Codex CLI (~/.codex/config.toml)',
      `model = "gpt-5.5"\nmodel_provider = "airelays"\n\n[model_providers.airelays]\nname = "AIRelays"\nbase_url = "${api1}"\nenv_key = "AIRELAYS_TOKEN"\nwire_api = "responses"\n\n# export AIRELAYS_TOKEN=${key}`,
    ),
    snippet(
      'Claude Code (environment)',
      `export ANTHROPIC_BASE_URL=${base}\nexport ANTHROPIC_AUTH_TOKEN=${key}\nclaude`,
    ),
    snippet(
      'Cursor (Settings → Models → OpenAI API key)',
      `Override OpenAI Base URL: ${api1}\nOpenAI API Key: ${NEEDS_TOKEN ? 'the relay token (airelays token show --raw)' : 'anything'}\n# Cursor calls from its own servers: the relay must be reachable from the internet for it.`,
    ),
  ]
}

function tokenSection(): HTMLElement {
  const value = h('code', { id: 'token-value' }, '••••••••')
  const status = h('p', { role: 'status', id: 'token-status' })
  const confirmHost = h('div')
  const reveal = button(
    'Reveal',
    () => {
      const shown = value.textContent !== '••••••••'
      value.textContent = shown ? '••••••••' : (token() ?? '')
      reveal.textContent = shown ? 'Reveal' : 'Hide'
      reveal.setAttribute('aria-pressed', String(!shown))
    },
    { 'aria-pressed': 'false' },
  )
  const rotate = button('Rotate token', () =>
    confirmStep(
      confirmHost,
      'Rotate the relay token? Every client using the current one is refused until it gets the new one.',
      'Confirm rotation',
      async () => {
        const rotated = await call('/v1/relay/token/rotate', 'POST')
        setToken(String(rotated.token))
        confirmHost.replaceChildren()
        value.textContent = String(rotated.token)
        reveal.textContent = 'Hide'
        status.textContent = `Rotated. New token fingerprint ${String(rotated.fingerprint)}; this tab uses it already.`
      },
    ),
  )
  return h(
    'section',
    { class: 'card', 'aria-label': 'Relay token' },
    h('h3', {}, 'Relay token'),
    h('p', {}, value, ' ', reveal, ' ', rotate),
    confirmHost,
    status,
  )
}

/** The Setup page. */
export async function setup(main: HTMLElement): Promise<void> {
  const base = `${location.origin}${BASE}`
  const key = NEEDS_TOKEN ? '"$(airelays token show --raw)"' : 'anything'
  main.append(
    h('h2', {}, 'Setup'),
    dl([
      ['Base URL', h('code', { id: 'base-url' }, `${base}/v1`)],
      [
        'API key',
        NEEDS_TOKEN
          ? h('span', {}, 'the relay token: ', h('code', {}, 'airelays token show --raw'))
          : 'open mode: any placeholder',
      ],
    ]),
    ...(NEEDS_TOKEN ? [tokenSection()] : []),
    ...snippets(base, key),
  )
}
