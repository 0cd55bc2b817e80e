import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

const run = promisify(execFile)
const venv = process.env.PYTHON_OPENAI_VENV ?? '/tmp/airelays-pyvenv'
const python = join(venv, 'bin', 'python')
const available = existsSync(python)

if (!available) {
  console.warn(
    `[python-client] SKIPPED: no Python venv with the openai package at ${venv}. ` +
      'Create one with `python3 -m venv /tmp/airelays-pyvenv && /tmp/airelays-pyvenv/bin/pip install openai` ' +
      'or set PYTHON_OPENAI_VENV.',
  )
}

const SCRIPT = `
import json, os, sys
import openai
client = openai.OpenAI(base_url=os.environ["RELAY_BASE_URL"], api_key=os.environ["RELAY_TOKEN"], max_retries=0)
out = {"version": openai.__version__}
out["models"] = [m.id for m in client.models.list().data]
done = client.chat.completions.create(model="gpt-5.5", messages=[{"role": "user", "content": "Reply with exactly: from python"}])
out["chat"] = done.choices[0].message.content
out["usage"] = done.usage.total_tokens
text = ""
for chunk in client.chat.completions.create(model="gpt-5.5", stream=True, messages=[{"role": "user", "content": "Reply with exactly: python stream"}]):
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
out["stream"] = text
bad = openai.OpenAI(base_url=os.environ["RELAY_BASE_URL"], api_key="wrong", max_retries=0)
try:
    bad.models.list()
    out["error"] = None
except openai.AuthenticationError as e:
    out["error"] = {"status": e.status_code, "code": e.code, "request_id": e.request_id}
try:
    client.embeddings.create(model="x", input="y")
    out["unsupported"] = None
except openai.APIStatusError as e:
    out["unsupported"] = {"status": e.status_code, "code": e.code}
print(json.dumps(out))
`

describe.skipIf(!available)(`official Python openai client (${venv})`, () => {
  let h: RelayHarness
  beforeAll(async () => {
    h = await startRelay()
  })
  afterAll(() => h?.close())

  it('lists models, completes, streams and surfaces errors', async () => {
    const { stdout } = await run(python, ['-c', SCRIPT], {
      env: {
        ...process.env,
        RELAY_BASE_URL: h.baseURL,
        RELAY_TOKEN: h.token,
        NO_PROXY: '127.0.0.1,localhost',
      },
      timeout: 60_000,
    })
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      models: string[]
      chat: string
      usage: number
      stream: string
      error: { status: number; code: string; request_id: string } | null
      unsupported: { status: number; code: string } | null
    }
    expect(out.models).toContain('gpt-5.5')
    expect(out.chat).toBe('from python')
    expect(out.usage).toBeGreaterThan(0)
    expect(out.stream).toBe('python stream')
    expect(out.error).toMatchObject({ status: 401, code: 'invalid_api_key' })
    expect(out.error?.request_id).toMatch(/^req_/)
    expect(out.unsupported).toEqual({ status: 501, code: 'unsupported_route' })
  })
})
