// What OpenAI-style clients rely on: `stop` honoured locally, `chatcmpl-` ids, custom tool
// calls as `tool_calls`, a role chunk first on tool-only streams.

import { describe, expect, it } from 'vitest'
import type {
  ChatCompletionChunk,
  ResponsesEvent,
  ResponsesObject,
  StreamItem,
  TextCompletion,
  TranslationContext,
} from './index'
import {
  chatChunks,
  chatStreamTranslator,
  completionStreamTranslator,
  toChatCompletion,
  toTextCompletion,
} from './index'

const context = (over: Partial<TranslationContext> = {}): TranslationContext => ({
  route: 'chat',
  model: 'gpt-5.5',
  stream: true,
  includeUsage: false,
  toolNameMap: {},
  now: () => 1_700_000_000_123,
  newId: () => 'abc123',
  ...over,
})

const RESPONSE_ID = 'resp_0123456789abcdef'

function response(output: unknown[], status = 'completed'): ResponsesObject {
  return {
    id: RESPONSE_ID,
    object: 'response',
    created_at: 1_795_000_000,
    status,
    model: 'gpt-5.5',
    output: output as ResponsesObject['output'],
    usage: { input_tokens: 10, output_tokens: 20, total_tokens: 30 },
  }
}

const message = (text: string) => ({
  type: 'message',
  id: 'msg_1',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text, annotations: [] }],
})

/** A text answer streamed as the given deltas. */
function textEvents(deltas: string[]): ResponsesEvent[] {
  const text = deltas.join('')
  let seq = 0
  return [
    { type: 'response.created', sequence_number: seq++, response: response([], 'in_progress') },
    {
      type: 'response.output_item.added',
      sequence_number: seq++,
      output_index: 0,
      item: { ...message(''), content: [], status: 'in_progress' },
    },
    ...deltas.map((delta) => ({
      type: 'response.output_text.delta',
      sequence_number: seq++,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      delta,
    })),
    { type: 'response.output_item.done', sequence_number: seq++, output_index: 0, item: message(text) },
    { type: 'response.completed', sequence_number: seq++, response: response([message(text)]) },
  ]
}

const customCall = {
  type: 'custom_tool_call',
  id: 'ctc_1',
  call_id: 'call_patch',
  name: 'apply_patch',
  input: '*** Begin Patch\n*** End Patch',
  status: 'completed',
}

/** A custom (freeform) tool call, streamed with input deltas. */
const customCallEvents: ResponsesEvent[] = [
  { type: 'response.created', sequence_number: 0, response: response([], 'in_progress') },
  {
    type: 'response.output_item.added',
    sequence_number: 1,
    output_index: 0,
    item: { ...customCall, input: '', status: 'in_progress' },
  },
  {
    type: 'response.custom_tool_call_input.delta',
    sequence_number: 2,
    item_id: 'ctc_1',
    output_index: 0,
    delta: '*** Begin Patch\n',
  },
  {
    type: 'response.custom_tool_call_input.delta',
    sequence_number: 3,
    item_id: 'ctc_1',
    output_index: 0,
    delta: '*** End Patch',
  },
  {
    type: 'response.custom_tool_call_input.done',
    sequence_number: 4,
    item_id: 'ctc_1',
    output_index: 0,
    input: customCall.input,
  },
  { type: 'response.output_item.done', sequence_number: 5, output_index: 0, item: customCall },
  { type: 'response.completed', sequence_number: 6, response: response([customCall]) },
]

function pushAll<T>(
  translator: { push(e: ResponsesEvent): StreamItem<T>[]; finished: boolean },
  events: ResponsesEvent[],
) {
  const items: StreamItem<T>[] = []
  let read = 0
  for (const event of events) {
    read += 1
    items.push(...translator.push(event))
    if (translator.finished) break
  }
  return { items, read }
}

function chatText(items: StreamItem<ChatCompletionChunk>[]): string {
  return items
    .map((item) => (item.kind === 'chunk' ? (item.data.choices[0]?.delta.content ?? '') : ''))
    .join('')
}

function finishes(items: StreamItem<ChatCompletionChunk | TextCompletion>[]): unknown[] {
  return items.flatMap((item) =>
    item.kind === 'chunk' && item.data.choices[0]?.finish_reason ? [item.data.choices[0].finish_reason] : [],
  )
}

describe('stop sequences on chat streams', () => {
  it('ends the text before a match split across deltas, finishes with stop and asks to abort', () => {
    const translator = chatStreamTranslator(context({ stop: ['END', '\n\n'] }))
    const events = textEvents(['Hello wor', 'ld E', 'N', 'D and more', ' text'])
    const { items, read } = pushAll(translator, events)
    expect(chatText(items)).toBe('Hello world ')
    expect(finishes(items)).toEqual(['stop'])
    expect(items.at(-1)).toEqual({ kind: 'done' })
    expect(translator.finished).toBe(true)
    expect(translator.stopSequence).toBe('END')
    // It stopped at the delta that completed the match (the sixth event of nine); the rest of the
    // upstream is not needed.
    expect(read).toBe(6)
    expect(events).toHaveLength(9)
  })

  it('holds back only what could start a stop sequence, and sends it when no match comes', () => {
    const translator = chatStreamTranslator(context({ stop: ['STOP'] }))
    const first = translator.push(textEvents(['x'])[0] as ResponsesEvent)
    expect(first).toEqual([])
    const delta = (text: string): ResponsesEvent => ({
      type: 'response.output_text.delta',
      item_id: 'msg_1',
      output_index: 0,
      delta: text,
    })
    expect(chatText(translator.push(delta('abc ST')))).toBe('abc ')
    expect(chatText(translator.push(delta('Ox')))).toBe('STOx')
    expect(chatText(translator.push(delta('ST')))).toBe('')
    const rest = translator.push({ type: 'response.completed', response: response([message('abc STOxST')]) })
    expect(chatText(rest)).toBe('ST')
    expect(finishes(rest)).toEqual(['stop'])
    expect(translator.stopSequence).toBeNull()
  })

  it('reports an estimated usage chunk after a local stop when include_usage is set', () => {
    const translator = chatStreamTranslator(context({ stop: ['!'], includeUsage: true, inputTokens: 7 }))
    const { items } = pushAll(translator, textEvents(['12345678', '!tail']))
    const usage = items.at(-2)
    expect(usage?.kind === 'chunk' && usage.data.choices).toEqual([])
    expect(usage?.kind === 'chunk' && usage.data.usage).toMatchObject({
      prompt_tokens: 7,
      completion_tokens: 2,
      total_tokens: 9,
    })
  })

  it('drops tool calls that come after the match', async () => {
    const call = {
      type: 'function_call',
      id: 'fc_1',
      call_id: 'call_1',
      name: 'f',
      arguments: '{}',
      status: 'completed',
    }
    const events: ResponsesEvent[] = [
      ...textEvents(['before STOP after']).slice(0, -1),
      { type: 'response.output_item.added', output_index: 1, item: call },
      { type: 'response.output_item.done', output_index: 1, item: call },
      { type: 'response.completed', response: response([message('before STOP after'), call]) },
    ]
    const items: StreamItem<ChatCompletionChunk>[] = []
    for await (const item of chatChunks(events, context({ stop: ['STOP'] }))) items.push(item)
    expect(chatText(items)).toBe('before ')
    expect(items.some((i) => i.kind === 'chunk' && i.data.choices[0]?.delta.tool_calls)).toBe(false)
    expect(finishes(items)).toEqual(['stop'])
    const completion = toChatCompletion(
      response([message('before STOP after'), call]),
      context({ stop: ['STOP'] }),
    )
    expect(completion.choices[0]?.message.content).toBe('before ')
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined()
    expect(completion.choices[0]?.finish_reason).toBe('stop')
  })
})

describe('stop sequences on non-stream answers and text completions', () => {
  it('cuts the chat message before the first match of any sequence', () => {
    const completion = toChatCompletion(response([message('one, two; three')]), context({ stop: [';', ','] }))
    expect(completion.choices[0]?.message.content).toBe('one')
    expect(completion.choices[0]?.finish_reason).toBe('stop')
  })

  it('finishes with stop even when the upstream ran out of tokens after the match', () => {
    const completion = toTextCompletion(
      response([message('abc|def')], 'incomplete'),
      context({ route: 'completions', stop: ['|'] }),
    )
    expect(completion.choices[0]?.text).toBe('abc')
    expect(completion.choices[0]?.finish_reason).toBe('stop')
  })

  it('honours stop on text_completion streams', () => {
    const translator = completionStreamTranslator(context({ route: 'completions', stop: ['\n'] }))
    const { items } = pushAll(translator, textEvents(['line one', '\nline two']))
    const text = items.map((i) => (i.kind === 'chunk' ? (i.data.choices[0]?.text ?? '') : '')).join('')
    expect(text).toBe('line one')
    expect(finishes(items)).toEqual(['stop'])
    expect(translator.stopSequence).toBe('\n')
  })
})

describe('completion ids', () => {
  it('are chatcmpl- / cmpl- ids derived from the upstream response id', () => {
    expect(toChatCompletion(response([message('x')]), context()).id).toBe('chatcmpl-0123456789abcdef')
    expect(toTextCompletion(response([message('x')]), context()).id).toBe('cmpl-0123456789abcdef')
    const { items } = pushAll(chatStreamTranslator(context()), textEvents(['x']))
    for (const item of items)
      if (item.kind === 'chunk') expect(item.data.id).toBe('chatcmpl-0123456789abcdef')
  })
})

describe('custom tool calls (Cursor)', () => {
  it('streams a custom_tool_call as tool_calls after a role chunk of its own', () => {
    const { items } = pushAll(chatStreamTranslator(context()), customCallEvents)
    const deltas = items.flatMap((i) => (i.kind === 'chunk' ? [i.data.choices[0]?.delta] : []))
    expect(deltas).toEqual([
      { role: 'assistant', content: '' },
      {
        tool_calls: [
          { index: 0, id: 'call_patch', type: 'function', function: { name: 'apply_patch', arguments: '' } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '*** Begin Patch\n' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '*** End Patch' } }] },
      {},
    ])
    expect(finishes(items)).toEqual(['tool_calls'])
  })

  it('maps a custom_tool_call of a final response to tool_calls', () => {
    const completion = toChatCompletion(response([customCall]), context())
    expect(completion.choices[0]?.message.tool_calls).toEqual([
      {
        id: 'call_patch',
        type: 'function',
        function: { name: 'apply_patch', arguments: '*** Begin Patch\n*** End Patch' },
      },
    ])
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls')
  })
})
