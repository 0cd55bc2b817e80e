import { describe, expect, it } from 'vitest'
import type { ResponsesObject } from '../types'
import { context } from './_test-helpers'
import { toAnthropicMessage } from './non-stream'

const response = (output: object[], extra: object = {}): ResponsesObject => ({
  id: 'resp_xyz',
  status: 'completed',
  output: output as ResponsesObject['output'],
  usage: { input_tokens: 50, input_tokens_details: { cached_tokens: 20 }, output_tokens: 9 },
  ...extra,
})

const reasoning = {
  type: 'reasoning',
  id: 'rs_1',
  summary: [{ type: 'summary_text', text: 'Think.' }],
  encrypted_content: 'gAAAAB-e',
}
const message = (text: string): object => ({
  type: 'message',
  id: 'msg_1',
  role: 'assistant',
  content: [{ type: 'output_text', text }],
})
const call = { type: 'function_call', id: 'fc_1', call_id: 'call_9', name: 'Read', arguments: '{"path":"a"}' }

describe('toAnthropicMessage', () => {
  it('builds thinking, text and tool_use blocks with usage split into uncached and cached', () => {
    expect(toAnthropicMessage(response([reasoning, message('Reading.'), call]), context())).toEqual({
      id: 'msg_xyz',
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Think.', signature: 'airelays.rs1.Z3B0LTUuNQ.gAAAAB-e' },
        { type: 'text', text: 'Reading.' },
        { type: 'tool_use', id: 'call_9', name: 'Read', input: { path: 'a' } },
      ],
      model: 'claude-opus-4-8',
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 30,
        output_tokens: 9,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 20,
      },
    })
  })

  it('leaves out thinking when the client did not ask for it', () => {
    const out = toAnthropicMessage(response([reasoning, message('Hi')]), context({ thinking: false }))
    expect(out.content).toEqual([{ type: 'text', text: 'Hi' }])
    expect(out.stop_reason).toBe('end_turn')
  })

  it('cuts the text at a stop sequence and drops later blocks', () => {
    const out = toAnthropicMessage(
      response([message('one STOP two'), call]),
      context({ stopSequences: ['STOP'] }),
    )
    expect(out).toMatchObject({
      content: [{ type: 'text', text: 'one ' }],
      stop_reason: 'stop_sequence',
      stop_sequence: 'STOP',
    })
  })

  it('maps incomplete responses and refusals', () => {
    expect(
      toAnthropicMessage(
        response([message('a')], {
          status: 'incomplete',
          incomplete_details: { reason: 'max_output_tokens' },
        }),
        context(),
      ).stop_reason,
    ).toBe('max_tokens')
    expect(
      toAnthropicMessage(
        response([], { status: 'incomplete', incomplete_details: { reason: 'content_filter' } }),
        context(),
      ).stop_reason,
    ).toBe('refusal')
    const refused = { type: 'message', content: [{ type: 'refusal', refusal: 'No.' }] }
    expect(toAnthropicMessage(response([refused]), context())).toMatchObject({
      content: [{ type: 'text', text: 'No.' }],
      stop_reason: 'refusal',
    })
  })

  it('maps shortened tool names back and falls back to {} for non-object arguments', () => {
    const odd = { ...call, name: 'short', arguments: 'not json' }
    expect(
      toAnthropicMessage(response([odd]), context({ toolNameMap: { short: 'long_name' } })).content,
    ).toEqual([{ type: 'tool_use', id: 'call_9', name: 'long_name', input: {} }])
  })
})
