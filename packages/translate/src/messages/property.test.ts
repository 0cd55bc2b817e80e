/**
 * Property tests: any Responses event sequence of the shapes the Codex backend (and the
 * emulator) produce — items streamed, announced only, seen only at `output_item.done` or only
 * in the final response, interleaved, ended by every terminal the backend has — becomes a
 * well-formed Anthropic stream that the SDK's MessageStream accepts; tool ids and thinking
 * signatures survive the request -> response -> request round trip.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JsonObject, ResponsesEvent, ResponsesObject } from '../types'
import { context, grammarViolation, push, sdkFinalMessage } from './_test-helpers'
import { toAnthropicMessage } from './non-stream'
import { translateMessagesRequest } from './request'
import { messagesStreamTranslator } from './stream'
import type { AnthropicContentBlock, AnthropicStreamEvent } from './types'

type Kind = 'message' | 'reasoning' | 'function_call'

interface PlannedItem {
  kind: Kind
  content: string
  pieces: string[]
  added: boolean
  deltas: boolean
  done: boolean
  encrypted: string
  callId: string
  name: string
}

const word = fc.stringMatching(/^[A-Za-z0-9 ,.{}":\n-]{1,12}$/)
const content = fc.array(word, { minLength: 0, maxLength: 5 })

const item: fc.Arbitrary<PlannedItem> = fc
  .record({
    kind: fc.constantFrom<Kind>('message', 'reasoning', 'function_call'),
    pieces: content,
    added: fc.boolean(),
    deltas: fc.boolean(),
    done: fc.boolean(),
    encrypted: fc.stringMatching(/^gAAAAB[A-Za-z0-9_-]{4,20}$/),
    callId: fc.stringMatching(/^call_[A-Za-z0-9]{4,12}$/),
    name: fc.constantFrom('Read', 'Bash', 'get_weather'),
  })
  .chain((p) =>
    p.kind !== 'function_call'
      ? fc.constant({ ...p, content: p.pieces.join('') })
      : // The backend's arguments are always a JSON object, streamed in arbitrary pieces.
        fc
          .tuple(
            fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.oneof(fc.integer(), word), { maxKeys: 3 }),
            fc.array(fc.nat(), { maxLength: 4 }),
          )
          .map(([args, cuts]) => {
            const json = JSON.stringify(args)
            const at = [...new Set(cuts.map((c) => c % (json.length + 1)))].sort((a, b) => a - b)
            const pieces = [0, ...at]
              .map((start, k) => json.slice(start, [...at, json.length][k]))
              .filter((x) => x !== '')
            return { ...p, pieces, content: json }
          }),
  )

type Terminal =
  | 'completed'
  | 'completed_empty'
  | 'incomplete'
  | 'content_filter'
  | 'failed'
  | 'error'
  | 'none'

const scenario = fc.record({
  items: fc.array(item, { minLength: 0, maxLength: 5 }),
  created: fc.boolean(),
  terminal: fc.constantFrom<Terminal>(
    'completed',
    'completed',
    'completed_empty',
    'incomplete',
    'content_filter',
    'failed',
    'error',
    'none',
  ),
  order: fc.array(fc.nat(), { maxLength: 60 }),
  thinking: fc.boolean(),
  stops: fc.constantFrom<string[]>([], [], ['.'], ['END', 'a,']),
})

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never

function finalItem(p: PlannedItem, i: number): JsonObject {
  if (p.kind === 'message')
    return {
      id: `msg_${i}`,
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: p.content }],
    }
  if (p.kind === 'reasoning')
    return {
      id: `rs_${i}`,
      type: 'reasoning',
      summary: p.content === '' ? [] : [{ type: 'summary_text', text: p.content }],
      encrypted_content: p.encrypted,
    }
  return { id: `fc_${i}`, type: 'function_call', call_id: p.callId, name: p.name, arguments: p.content }
}

function itemEvents(p: PlannedItem, i: number): ResponsesEvent[] {
  const at = { item_id: finalItem(p, i).id, output_index: i }
  const events: ResponsesEvent[] = []
  const full = finalItem(p, i)
  if (p.added)
    events.push({
      type: 'response.output_item.added',
      output_index: i,
      item: { ...full, content: [], summary: [], arguments: '' },
    })
  if (p.deltas) {
    const type = {
      message: 'response.output_text.delta',
      reasoning: 'response.reasoning_summary_text.delta',
      function_call: 'response.function_call_arguments.delta',
    }[p.kind]
    for (const delta of p.pieces) events.push({ type, ...at, delta, summary_index: 0 })
  }
  if (p.done) events.push({ type: 'response.output_item.done', output_index: i, item: full })
  return events
}

/** Interleaves the items' event lists, keeping each list's order, steered by `order`. */
function interleave(lists: ResponsesEvent[][], order: number[]): ResponsesEvent[] {
  const queues = lists.map((list) => [...list])
  const out: ResponsesEvent[] = []
  let step = 0
  for (;;) {
    const open = queues.filter((q) => q.length > 0)
    if (open.length === 0) return out
    const pick = open[(order[step] ?? 0) % open.length] as ResponsesEvent[]
    step += 1
    out.push(pick.shift() as ResponsesEvent)
  }
}

function build(s: Scenario): ResponsesEvent[] {
  const response = { id: 'resp_p', output: [] as JsonObject[], usage: { input_tokens: 10, output_tokens: 3 } }
  const events: ResponsesEvent[] = []
  if (s.created) events.push({ type: 'response.created', response })
  events.push(...interleave(s.items.map(itemEvents), s.order))
  const output = s.items.map(finalItem)
  switch (s.terminal) {
    case 'completed':
      events.push({ type: 'response.completed', response: { ...response, status: 'completed', output } })
      break
    case 'completed_empty':
      events.push({ type: 'response.completed', response: { ...response, status: 'completed' } })
      break
    case 'incomplete':
    case 'content_filter': {
      const reason = s.terminal === 'incomplete' ? 'max_output_tokens' : 'content_filter'
      events.push({
        type: 'response.incomplete',
        response: { ...response, status: 'incomplete', output, incomplete_details: { reason } },
      })
      break
    }
    case 'failed':
      events.push({
        type: 'response.failed',
        response: { ...response, status: 'failed', error: { code: 'server_error', message: 'boom' } },
      })
      break
    case 'error':
      events.push({ type: 'error', code: 'server_is_overloaded', message: 'Overloaded.' })
      break
    default:
      break
  }
  return events
}

function blocks(events: AnthropicStreamEvent[]): AnthropicContentBlock[] {
  const out: AnthropicContentBlock[] = []
  for (const e of events) {
    if (e.event === 'content_block_start') out.push(structuredClone(e.data.content_block))
    if (e.event !== 'content_block_delta') continue
    const block = out[e.data.index] as AnthropicContentBlock & { json?: string }
    const d = e.data.delta
    if (d.type === 'text_delta' && block.type === 'text') block.text += d.text
    if (d.type === 'thinking_delta' && block.type === 'thinking') block.thinking += d.thinking
    if (d.type === 'signature_delta' && block.type === 'thinking') block.signature = d.signature
    if (d.type === 'input_json_delta') block.json = (block.json ?? '') + d.partial_json
  }
  return out
}

describe('Responses events -> Anthropic stream (property)', () => {
  it('is always well formed and accepted by the SDK MessageStream', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const events = build(s)
        const ctx = context({ thinking: s.thinking, stopSequences: s.stops })
        const out = push(events, messagesStreamTranslator(ctx, { inputTokens: 42 }))
        expect(grammarViolation(out)).toBeNull()
        const ends = ['completed', 'completed_empty', 'incomplete', 'content_filter'].includes(s.terminal)
        const stopped = out.some(
          (e) => e.event === 'message_delta' && e.data.delta.stop_reason === 'stop_sequence',
        )
        if (ends || stopped) {
          expect(out.at(-1)?.event).toBe('message_stop')
          const message = await sdkFinalMessage(out)
          expect(message.content.length).toBe(blocks(out).length)
        } else {
          expect(out.at(-1)?.event).toBe('error')
          await expect(sdkFinalMessage(out)).rejects.toThrow()
        }
        for (const block of blocks(out)) {
          if (block.type === 'text') for (const stop of s.stops) expect(block.text).not.toContain(stop)
          if (block.type === 'thinking') expect(s.thinking).toBe(true)
        }
        if (ends && s.stops.length === 0) {
          // Nothing is lost or duplicated: every item with content becomes exactly one block.
          const full = s.terminal !== 'completed_empty'
          const want = s.items.flatMap((p) => {
            const known = full || p.done
            const text = known || p.deltas ? p.content : ''
            if (p.kind === 'message') return text === '' ? [] : [text]
            if (p.kind === 'reasoning')
              return !s.thinking || (text === '' && !known) ? [] : [`${text}|${known}`]
            if (!(known || p.added || p.deltas)) return []
            return [known || p.added ? p.callId : 'toolu_fixedid']
          })
          const got = blocks(out).map((b) =>
            b.type === 'text' ? b.text : b.type === 'thinking' ? `${b.thinking}|${b.signature !== ''}` : b.id,
          )
          expect(got.sort()).toEqual(want.sort())
        }
      }),
      { numRuns: 300 },
    )
  }, 60_000)
})

describe('tool ids and thinking signatures survive the round trip (property)', () => {
  const turn = fc.record({
    reasoning: fc.option(
      fc.record({ summary: word, encrypted: fc.stringMatching(/^gAAAAB[A-Za-z0-9_=-]{4,40}$/) }),
      { nil: null },
    ),
    text: fc.option(word, { nil: null }),
    calls: fc.uniqueArray(
      fc.record({
        id: fc.stringMatching(/^(call|toolu)_[A-Za-z0-9]{4,20}$/),
        args: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.integer()),
      }),
      {
        selector: (c) => c.id,
        maxLength: 3,
      },
    ),
    stream: fc.boolean(),
  })

  it('request -> response -> request keeps call ids and encrypted reasoning', async () => {
    await fc.assert(
      fc.asyncProperty(turn, async (t) => {
        const first = translateMessagesRequest({
          model: 'claude-opus-4-8',
          thinking: { type: 'adaptive' },
          tools: [{ name: 'Read', input_schema: { type: 'object', properties: {} } }],
          messages: [{ role: 'user', content: 'go' }],
        })
        if (!first.ok) throw new Error('rejected')
        const output: JsonObject[] = []
        if (t.reasoning !== null) {
          output.push({
            id: 'rs_0',
            type: 'reasoning',
            summary: [{ type: 'summary_text', text: t.reasoning.summary }],
            encrypted_content: t.reasoning.encrypted,
          })
        }
        if (t.text !== null)
          output.push({
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: t.text }],
          })
        t.calls.forEach((c, i) => {
          output.push({
            id: `fc_${i}`,
            type: 'function_call',
            call_id: c.id,
            name: 'Read',
            arguments: JSON.stringify(c.args),
          })
        })
        const response = {
          id: 'resp_r',
          status: 'completed',
          output,
          usage: { input_tokens: 5, output_tokens: 5 },
        }
        const events: ResponsesEvent[] = [
          { type: 'response.created', response: { ...response, output: [] } },
          ...output.map((o, i) => ({ type: 'response.output_item.done', output_index: i, item: o })),
          { type: 'response.completed', response },
        ]
        const message = t.stream
          ? await sdkFinalMessage(push(events, messagesStreamTranslator(first.context)))
          : toAnthropicMessage(response as unknown as ResponsesObject, first.context)
        const next = translateMessagesRequest({
          model: 'claude-opus-4-8',
          thinking: { type: 'adaptive' },
          tools: [{ name: 'Read', input_schema: { type: 'object', properties: {} } }],
          messages: [
            { role: 'user', content: 'go' },
            { role: 'assistant', content: message.content },
            ...(t.calls.length > 0
              ? [
                  {
                    role: 'user',
                    content: t.calls.map((c) => ({ type: 'tool_result', tool_use_id: c.id, content: 'ok' })),
                  },
                ]
              : [{ role: 'user', content: 'more' }]),
          ],
        })
        if (!next.ok) throw new Error(JSON.stringify(next.error))
        const input = next.request.input as JsonObject[]
        expect(
          input
            .filter((i) => i.type === 'function_call')
            .map((i) => [i.call_id, JSON.parse(i.arguments as string)]),
        ).toEqual(t.calls.map((c) => [c.id, c.args]))
        expect(input.filter((i) => i.type === 'function_call_output').map((i) => i.call_id)).toEqual(
          t.calls.map((c) => c.id),
        )
        expect(input.filter((i) => i.type === 'reasoning').map((i) => i.encrypted_content)).toEqual(
          t.reasoning === null ? [] : [t.reasoning.encrypted],
        )
      }),
      { numRuns: 150 },
    )
  }, 60_000)
})
