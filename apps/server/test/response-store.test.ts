import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ResponseStore, replayableOutput } from '../src/stores/responses'

let dir: string
let now: number
const clock = (): number => now

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airelays-responses-'))
  now = 1_800_000_000
})
// Every store is closed (its pending writes finished) before its directory goes: a write still
// in flight would race the removal (ENOTEMPTY).
const opened: ResponseStore[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()))
  await rm(dir, { recursive: true, force: true })
})

function openStore(...args: ConstructorParameters<typeof ResponseStore>): ResponseStore {
  const store = new ResponseStore(...args)
  opened.push(store)
  return store
}

const response = (id: string, text: string) => ({
  id,
  object: 'response',
  status: 'completed',
  output: [
    { id: 'rs_1', type: 'reasoning', summary: [], encrypted_content: 'enc' },
    { id: 'rs_2', type: 'reasoning', summary: [] },
    {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [] }],
    },
    { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}', status: 'completed' },
    { id: 'ws_1', type: 'web_search_call', status: 'completed' },
  ],
})

const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] })

describe('ResponseStore', () => {
  it('continues a kept response with its input and its replayable output, without ids', async () => {
    const store = openStore(dir, clock)
    await store.put('resp_a', [user('one')], response('resp_a', 'first'))
    expect(await store.continuation('resp_a')).toEqual([
      user('one'),
      { type: 'reasoning', summary: [], encrypted_content: 'enc' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'first' }] },
      { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
    ])
    expect(await store.continuation('resp_unknown')).toBeNull()
    expect((await store.get('resp_a'))?.response).toEqual(response('resp_a', 'first'))
  })

  it('persists to responses.json (0600) and reads it back in a new store', async () => {
    const store = openStore(dir, clock)
    await store.put('resp_a', [user('one')], response('resp_a', 'first'))
    await store.flush()
    const file = join(dir, 'responses.json')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(file, 'utf8')).responses).toHaveLength(1)
    const again = openStore(dir, clock)
    expect((await again.get('resp_a'))?.input).toEqual([user('one')])
  })

  it('expires responses after the TTL', async () => {
    const store = openStore(dir, clock, { ttlSeconds: 60 })
    await store.put('resp_a', [user('one')], response('resp_a', 'first'))
    now += 60
    expect(await store.get('resp_a')).not.toBeNull()
    now += 1
    expect(await store.get('resp_a')).toBeNull()
    expect(await store.count()).toBe(0)
  })

  it('keeps at most maxCount responses and maxBytes bytes, dropping the oldest', async () => {
    const counted = openStore(dir, clock, { maxCount: 2 })
    for (const id of ['resp_1', 'resp_2', 'resp_3']) await counted.put(id, [user(id)], response(id, id))
    expect(await counted.get('resp_1')).toBeNull()
    expect(await counted.count()).toBe(2)

    const sized = openStore(join(dir, 'sized'), clock, { maxBytes: 1500 })
    await sized.put('resp_big', [user('x'.repeat(2000))], response('resp_big', 'big'))
    expect(await sized.get('resp_big')).toBeNull()
    await sized.put('resp_1', [user('a'.repeat(300))], response('resp_1', '1'))
    await sized.put('resp_2', [user('b'.repeat(300))], response('resp_2', '2'))
    expect(await sized.get('resp_1')).toBeNull()
    expect(await sized.get('resp_2')).not.toBeNull()
  })

  it('forgets a deleted response', async () => {
    const store = openStore(dir, clock)
    await store.put('resp_a', [], response('resp_a', 'x'))
    expect(await store.delete('resp_a')).toBe(true)
    expect(await store.delete('resp_a')).toBe(false)
    expect(await store.get('resp_a')).toBeNull()
  })
})

describe('ResponseStore.close', () => {
  it('waits for a put still running and keeps nothing afterwards', async () => {
    const store = openStore(dir, clock)
    const pending = store.put('resp_a', [user('one')], response('resp_a', 'first'))
    await store.close()
    await pending
    expect(JSON.parse(await readFile(join(dir, 'responses.json'), 'utf8')).responses).toHaveLength(1)
    await store.put('resp_b', [], response('resp_b', 'late'))
    expect(await store.get('resp_b')).toBeNull()
  })
})

describe('replayableOutput', () => {
  it('keeps custom tool calls and refusals, drops what the backend cannot take back', () => {
    expect(
      replayableOutput([
        { id: 'ctc', type: 'custom_tool_call', call_id: 'c', name: 'apply_patch', input: 'P' },
        { id: 'm', type: 'message', content: [{ type: 'refusal', refusal: 'no' }] },
        { id: 'm2', type: 'message', content: [] },
        'junk',
      ]),
    ).toEqual([
      { type: 'custom_tool_call', call_id: 'c', name: 'apply_patch', input: 'P' },
      { type: 'message', role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }] },
    ])
  })
})
