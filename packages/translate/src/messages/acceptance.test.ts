/**
 * Acceptance against the upstream emulator (a faithful Codex backend on 127.0.0.1:0): translated
 * Messages requests — Claude Code's shape, a tool loop with thinking sent back, images, PDFs,
 * structured output — are accepted, and the answers translate back into messages the SDK reads.
 */

import type { EmulatorBehaviour, IssuedTokens, UpstreamEmulator } from '@airelays/upstream-emulator'
import { createUpstreamEmulator } from '@airelays/upstream-emulator'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aggregateResponse } from '../aggregate'
import type { JsonObject, ResponsesEvent } from '../types'
import { grammarViolation, push, sdkFinalMessage } from './_test-helpers'
import { toAnthropicMessage } from './non-stream'
import { translateMessagesRequest } from './request'
import { messagesStreamTranslator } from './stream'
import type { MessagesTranslationSuccess } from './types'

let emu: UpstreamEmulator
let tokens: IssuedTokens

beforeAll(async () => {
  emu = await createUpstreamEmulator({ maxRecordedRequests: 0 })
  tokens = emu.issueTokens()
})

afterAll(async () => {
  await emu.close()
})

function parseSse(text: string): ResponsesEvent[] {
  const events: ResponsesEvent[] = []
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n')
    if (data !== '' && data !== '[DONE]') events.push(JSON.parse(data) as ResponsesEvent)
  }
  return events
}

async function send(result: MessagesTranslationSuccess): Promise<ResponsesEvent[]> {
  const response = await fetch(`${emu.backendUrl}/responses`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokens.access_token}`,
      'chatgpt-account-id': tokens.account_id,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      originator: 'codex_cli_rs',
      session_id: result.sessionId,
    },
    body: JSON.stringify(result.request),
    signal: AbortSignal.timeout(10_000),
  })
  const body = await response.text()
  expect(response.status, body).toBe(200)
  return parseSse(body)
}

function translate(body: JsonObject): MessagesTranslationSuccess {
  const result = translateMessagesRequest(body)
  if (!result.ok) throw new Error(JSON.stringify(result.error))
  return result
}

const tools = [
  {
    name: 'Read',
    description: 'Read a file from the working directory.',
    input_schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { file_path: { type: 'string' }, pages: { type: 'string' } },
      required: ['file_path'],
      additionalProperties: false,
    },
  },
  { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
  { type: 'advisor_20260301', name: 'advisor' },
]

const claudeCodeTurn: JsonObject = {
  model: 'claude-opus-5-5',
  max_tokens: 32000,
  stream: true,
  system: [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.328.abc; cc_entrypoint=cli;' },
    {
      type: 'text',
      text: "You are Claude Code, Anthropic's official CLI for Claude.",
      cache_control: { type: 'ephemeral' },
    },
  ],
  tools,
  thinking: { type: 'adaptive' },
  output_config: { effort: 'high' },
  context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
  metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: 'sess-accept' }) },
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Read notes.txt and summarise it.', cache_control: { type: 'ephemeral' } },
      ],
    },
  ],
}

describe('Messages translation against the upstream emulator', () => {
  it('runs a Claude Code tool loop with thinking sent back on the next turn', async () => {
    const first = translate(claudeCodeTurn)
    expect(first.request.model).toBe('gpt-5.5')
    emu.script({
      kind: 'reply',
      output: {
        reasoning: 'I should read the file.',
        text: 'Reading it.',
        toolCalls: [{ name: 'Read', arguments: { file_path: 'notes.txt' } }],
      },
    })
    const events = await send(first)
    const message = await sdkFinalMessage(
      push(events, messagesStreamTranslator(first.context, { inputTokens: 100 })),
    )
    expect(message.stop_reason).toBe('tool_use')
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use'])
    const thinking = message.content[0] as { signature: string }
    expect(thinking.signature).toMatch(/^airelays\.rs1\./)
    const toolUse = message.content[2] as { id: string; name: string; input: unknown }
    expect(toolUse).toMatchObject({ name: 'Read', input: { file_path: 'notes.txt' } })

    const second = translate({
      ...claudeCodeTurn,
      messages: [
        ...(claudeCodeTurn.messages as JsonObject[]),
        { role: 'assistant', content: message.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: toolUse.id, content: [{ type: 'text', text: 'Buy milk.' }] },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' },
            },
          ],
        },
        { role: 'system', content: 'The user is in a hurry.' },
      ],
    })
    const input = second.request.input as JsonObject[]
    expect(input.map((item) => item.type)).toEqual([
      'message',
      'reasoning',
      'message',
      'function_call',
      'function_call_output',
      'message',
      'message',
    ])
    emu.script({ kind: 'reply', output: { text: 'The note says: buy milk.' } })
    const answer = await sdkFinalMessage(push(await send(second), messagesStreamTranslator(second.context)))
    expect(answer.stop_reason).toBe('end_turn')
    expect(answer.content.at(-1)).toEqual({ type: 'text', text: 'The note says: buy milk.' })
  })

  it('answers non-stream requests with structured output and local stop sequences', async () => {
    const result = translate({
      model: 'claude-haiku-4-5-20251001',
      max_tokens: 512,
      stop_sequences: ['STOP'],
      output_config: {
        format: {
          type: 'json_schema',
          schema: { type: 'object', properties: { title: { type: 'string' } } },
        },
      },
      messages: [{ role: 'user', content: 'Title?' }],
    })
    expect(result.request.model).toBe('gpt-5.4-mini')
    emu.script({ kind: 'reply', output: { text: '{"title":"Hi"} STOP ignored' } })
    const message = toAnthropicMessage(await aggregateResponse(await send(result)), result.context)
    expect(message).toMatchObject({
      model: 'claude-haiku-4-5-20251001',
      content: [{ type: 'text', text: '{"title":"Hi"} ' }],
      stop_reason: 'stop_sequence',
      stop_sequence: 'STOP',
    })
    expect(message.usage.input_tokens + message.usage.cache_read_input_tokens).toBeGreaterThan(0)
  })

  it('turns every event sequence the emulator produces into a stream the SDK accepts (property)', async () => {
    const words = fc.stringMatching(/^[A-Za-z0-9 ,.!?]{1,40}$/)
    const reply = fc.record({
      kind: fc.constant('reply' as const),
      output: fc.record({
        text: fc.option(words, { nil: undefined }),
        reasoning: fc.option(words, { nil: undefined }),
        toolCalls: fc.array(
          fc.record({
            name: fc.constantFrom('Read', 'Bash'),
            arguments: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), words, { maxKeys: 2 }),
          }),
          { maxLength: 2 },
        ),
        phases: fc.boolean(),
      }),
    })
    const behaviour: fc.Arbitrary<EmulatorBehaviour> = fc.oneof(
      { weight: 5, arbitrary: reply },
      fc.constant({ kind: 'incomplete' as const }),
      fc.constant({ kind: 'incomplete' as const, reason: 'content_filter' }),
      fc.constant({ kind: 'failed_event' as const }),
      fc.constant({ kind: 'overload_in_stream' as const }),
      fc.constant({ kind: 'usage_limit_in_stream' as const }),
      fc.constant({ kind: 'empty_completed_output' as const }),
      fc.integer({ min: 1, max: 12 }).map((afterEvents) => ({ kind: 'end_early' as const, afterEvents })),
    )
    await fc.assert(
      fc.asyncProperty(
        behaviour,
        fc.boolean(),
        fc.constantFrom<string[]>([], ['.'], ['the']),
        async (b, thinking, stops) => {
          const result = translate({
            model: 'claude-sonnet-5',
            max_tokens: 4096,
            stream: true,
            stop_sequences: stops,
            tools,
            ...(thinking ? { thinking: { type: 'adaptive' } } : {}),
            messages: [{ role: 'user', content: 'Go.' }],
          })
          emu.script(b)
          const out = push(await send(result), messagesStreamTranslator(result.context, { inputTokens: 10 }))
          expect(grammarViolation(out)).toBeNull()
          if (out.at(-1)?.event === 'message_stop') {
            const message = await sdkFinalMessage(out)
            const thoughts = message.content.filter((block) => block.type === 'thinking')
            if (thinking && b.kind === 'reply') expect(thoughts.length).toBe(1)
            if (!thinking) expect(thoughts).toEqual([])
          } else {
            await expect(sdkFinalMessage(out)).rejects.toThrow()
          }
        },
      ),
      { numRuns: 40 },
    )
  }, 60_000)
})
