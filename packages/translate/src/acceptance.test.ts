/**
 * Property-based acceptance: every chat request the translator accepts becomes a request the
 * upstream emulator (a faithful Codex backend) accepts, and every request it rejects names the
 * offending parameter. Uses a real emulator on 127.0.0.1:0; the number of runs is bounded.
 */

import type { IssuedTokens, UpstreamEmulator } from '@airelays/upstream-emulator'
import { createUpstreamEmulator } from '@airelays/upstream-emulator'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JsonObject, ResponsesEvent, TranslationSuccess } from './index'
import {
  aggregateResponse,
  chatChunks,
  completionChunks,
  normalizeResponsesRequest,
  toChatCompletion,
  toTextCompletion,
  translateChatRequest,
  translateCompletionRequest,
} from './index'

let emu: UpstreamEmulator
let tokens: IssuedTokens

beforeAll(async () => {
  emu = await createUpstreamEmulator({ maxRecordedRequests: 0 })
  tokens = emu.issueTokens()
})

afterAll(async () => {
  await emu.close()
})

// ------------------------------------------------------------------------------------------
// Generators
// ------------------------------------------------------------------------------------------

/** Models of the emulator's default catalog, with their reasoning levels and service tiers. */
const MODELS = [
  { slug: 'gpt-5.5', efforts: ['low', 'medium', 'high', 'xhigh'], priority: true },
  { slug: 'gpt-5.4-mini', efforts: ['low', 'medium', 'high', 'xhigh'], priority: false },
  { slug: 'gpt-5.6-sol', efforts: ['low', 'medium', 'high', 'xhigh', 'max', 'ultra'], priority: true },
  { slug: 'gpt-5.6-terra', efforts: ['low', 'medium', 'high', 'xhigh', 'max', 'ultra'], priority: false },
]

const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
)
const nonBlank = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,24}$/)
const toolName = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,20}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^mcp__[a-z_]{62,80}$/) },
)
const propertyName = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/)

const leafSchema = fc.constantFrom<JsonObject>(
  { type: 'string' },
  { type: 'integer', minimum: 0 },
  { type: 'number' },
  { type: 'boolean' },
  { type: 'string', enum: ['red', 'green'] },
  { type: ['string', 'integer'] },
  { type: 'string', format: 'date-time' },
)

const { node: schemaNode } = fc.letrec<{
  node: JsonObject
  object: JsonObject
  array: JsonObject
  anyOf: JsonObject
}>((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leafSchema, tie('object'), tie('array'), tie('anyOf')),
  object: fc
    .tuple(
      fc.dictionary(propertyName, tie('node'), { maxKeys: 4 }),
      fc.array(fc.boolean(), { maxLength: 4 }),
      fc.boolean(),
    )
    .map(([properties, mask, closed]) => {
      const schema: JsonObject = { type: 'object', properties }
      const required = Object.keys(properties).filter((_, i) => mask[i] === true)
      if (required.length > 0) schema.required = required
      if (closed) schema.additionalProperties = false
      return schema
    }),
  array: tie('node').map((items) => ({ type: 'array', items })),
  anyOf: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((variants) => ({ anyOf: variants })),
}))
const objectSchema = fc
  .tuple(fc.dictionary(propertyName, schemaNode, { maxKeys: 5 }), fc.array(fc.boolean(), { maxLength: 5 }))
  .map(
    ([properties, mask]): JsonObject => ({
      type: 'object',
      properties,
      required: Object.keys(properties).filter((_, i) => mask[i] === true),
    }),
  )

const imagePart = fc.oneof(
  fc.record({
    type: fc.constant('image_url'),
    image_url: fc.record({ url: fc.constant('https://example.com/cat.png') }),
  }),
  fc.record({
    type: fc.constant('image_url'),
    image_url: fc.record({
      url: fc.constant(
        'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      ),
      detail: fc.constantFrom('low', 'high', 'auto'),
    }),
  }),
  fc.constant({ type: 'image_url', image_url: 'https://example.com/dog.jpg' }),
)
const filePart = fc.oneof(
  fc.constant({ type: 'file', file: { file_id: 'file_0123456789abcdef0123456789abcdef' } }),
  fc.constant({ type: 'file', file: { filename: 'notes.txt', file_data: 'data:text/plain;base64,aGk=' } }),
  fc.constant({ type: 'image_url', image_url: { file_id: 'file_fedcba9876543210fedcba9876543210' } }),
)
const textPart = text.map((t) => ({ type: 'text', text: t }))

const userContent = fc.oneof(
  text,
  fc.array(
    fc.oneof(
      { weight: 4, arbitrary: textPart },
      { weight: 2, arbitrary: imagePart },
      { weight: 1, arbitrary: filePart },
    ),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
)
const instructionContent = fc.oneof(
  text,
  fc.array(fc.oneof(textPart, imagePart), { minLength: 1, maxLength: 3 }),
)
const assistantContent = fc.oneof(
  text,
  fc.constant(null),
  fc.array(
    fc.oneof(
      textPart,
      text.map((t) => ({ type: 'refusal', refusal: t })),
    ),
    { maxLength: 3 },
  ),
)

/** One conversation turn; tool results follow their calls, call ids are filled in later. */
type Turn =
  | { kind: 'instruction'; role: 'system' | 'developer'; content: unknown }
  | { kind: 'user'; content: unknown; name?: string }
  | { kind: 'assistant'; content: unknown; refusal: string | null }
  | {
      kind: 'calls'
      calls: { name: string; args: unknown; withId: boolean; answered: boolean; output: unknown }[]
    }

const turn: fc.Arbitrary<Turn> = fc.oneof(
  fc.record({
    kind: fc.constant('instruction' as const),
    role: fc.constantFrom('system' as const, 'developer' as const),
    content: instructionContent,
  }),
  {
    weight: 3,
    arbitrary: fc.record(
      { kind: fc.constant('user' as const), content: userContent },
      { requiredKeys: ['kind', 'content'] },
    ),
  },
  fc.record({
    kind: fc.constant('assistant' as const),
    content: assistantContent,
    refusal: fc.option(text, { nil: null }),
  }),
  fc.record({
    kind: fc.constant('calls' as const),
    calls: fc.array(
      fc.record({
        name: toolName,
        args: fc.oneof(
          fc.constant('{}'),
          fc.constant(''),
          fc.constant(null),
          fc.json({ maxDepth: 2 }),
          fc.dictionary(propertyName, fc.integer(), { maxKeys: 2 }),
        ),
        withId: fc.boolean(),
        answered: fc.boolean(),
        output: fc.oneof(text, fc.array(textPart, { maxLength: 2 }), fc.constant(null)),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
)

function buildMessages(turns: Turn[]): JsonObject[] {
  const messages: JsonObject[] = []
  let counter = 0
  for (const t of turns) {
    if (t.kind === 'instruction') messages.push({ role: t.role, content: t.content })
    else if (t.kind === 'user') messages.push({ role: 'user', content: t.content })
    else if (t.kind === 'assistant')
      messages.push({ role: 'assistant', content: t.content, refusal: t.refusal })
    else {
      const calls = t.calls.map((c) => ({ ...c, id: `call_client_${counter++}` }))
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: calls.map((c) => ({
          ...(c.withId ? { id: c.id } : {}),
          type: 'function',
          function: { name: c.name, ...(c.args === null ? {} : { arguments: c.args }) },
        })),
      })
      for (const c of calls) {
        if (c.withId && c.answered) messages.push({ role: 'tool', tool_call_id: c.id, content: c.output })
      }
    }
  }
  return messages
}

const STRIPPED_PARAMETERS = [
  'temperature',
  'top_p',
  'presence_penalty',
  'frequency_penalty',
  'max_output_tokens',
  'max_completion_tokens',
  'max_tokens',
  'logit_bias',
  'metadata',
  'prompt_cache_retention',
  'safety_identifier',
  'seed',
  'user',
  'x_vendor_extension',
] as const

/** `stop` as clients send it (honoured locally, never sent upstream). */
const stopValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.string({ minLength: 1, maxLength: 4 }),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }),
)

/** A function definition and whether the client nests it under `function`. */
interface ToolSpec {
  fn: JsonObject & { name: string }
  nested: boolean
}

const toolDefinition: fc.Arbitrary<ToolSpec> = fc
  .record({
    name: toolName,
    nested: fc.boolean(),
    description: fc.option(text, { nil: undefined }),
    parameters: fc.option(objectSchema, { nil: undefined }),
    strict: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ name, nested, ...rest }) => {
    const fn: JsonObject & { name: string } = { name }
    for (const [key, value] of Object.entries(rest)) if (value !== undefined) fn[key] = value
    return { fn, nested }
  })

/** A chat request the translator must accept. */
const validRequest = fc
  .record({
    model: fc.constantFrom(...MODELS),
    turns: fc.array(turn, { minLength: 1, maxLength: 6 }),
    tools: fc.uniqueArray(toolDefinition, { maxLength: 4, selector: (t) => t.fn.name }),
    legacyFunctions: fc.boolean(),
    toolChoice: fc.constantFrom('default', 'auto', 'none', 'required', 'named'),
    parallel: fc.option(fc.boolean(), { nil: undefined }),
    responseFormat: fc.oneof(
      fc.constant(undefined),
      fc.constant({ type: 'text' }),
      fc.constant({ type: 'json_object' }),
      fc
        .record({ name: nonBlank, strict: fc.option(fc.boolean(), { nil: undefined }), schema: objectSchema })
        .map((js) => ({
          type: 'json_schema',
          json_schema: js,
        })),
    ),
    effort: fc.option(fc.nat(5), { nil: undefined }),
    effortCase: fc.constantFrom('lower', 'upper', 'padded'),
    verbosity: fc.option(fc.constantFrom('low', 'medium', 'high', 'LOW'), { nil: undefined }),
    stripped: fc.uniqueArray(fc.constantFrom(...STRIPPED_PARAMETERS), { maxLength: 6 }),
    strippedValue: fc.jsonValue({ maxDepth: 1 }),
    stop: fc.option(stopValue, { nil: undefined }),
    honoured: fc.record(
      {
        n: fc.constantFrom(1, null),
        store: fc.constantFrom(false, null),
        logprobs: fc.constantFrom(false, null),
        top_logprobs: fc.constantFrom(0, null),
        modalities: fc.constantFrom(['text'], null),
        stream: fc.boolean(),
        stream_options: fc.oneof(fc.constant(null), fc.record({ include_usage: fc.boolean() })),
        instructions: text,
        prompt_cache_key: nonBlank,
        conversation: fc.oneof(
          nonBlank,
          nonBlank.map((id) => ({ id })),
        ),
      },
      { requiredKeys: [] },
    ),
    serviceTier: fc.option(fc.constantFrom('priority', 'auto', 'default', 'flex'), { nil: undefined }),
  })
  .map((g) => {
    const body: JsonObject = { model: g.model.slug, messages: buildMessages(g.turns), ...g.honoured }
    const names = g.tools.map((t) => t.fn.name)
    if (g.tools.length > 0) {
      if (g.legacyFunctions) body.functions = g.tools.map((t) => t.fn)
      else
        body.tools = g.tools.map((t) =>
          t.nested ? { type: 'function', function: t.fn } : { type: 'function', ...t.fn },
        )
      if (g.toolChoice === 'named') body.tool_choice = { type: 'function', function: { name: names[0] } }
      else if (g.toolChoice !== 'default') body.tool_choice = g.toolChoice
      if (g.parallel !== undefined) body.parallel_tool_calls = g.parallel
    } else if (g.toolChoice === 'auto' || g.toolChoice === 'none') {
      body.tool_choice = g.toolChoice
    }
    if (g.responseFormat !== undefined) body.response_format = g.responseFormat
    if (g.effort !== undefined) {
      const effort = g.model.efforts[g.effort % g.model.efforts.length] as string
      body.reasoning_effort =
        g.effortCase === 'upper' ? effort.toUpperCase() : g.effortCase === 'padded' ? ` ${effort} ` : effort
    }
    if (g.verbosity !== undefined) body.verbosity = g.verbosity
    for (const name of g.stripped) body[name] = g.strippedValue
    if (g.stop !== undefined) body.stop = g.stop
    if (g.serviceTier !== undefined && (g.serviceTier !== 'priority' || g.model.priority))
      body.service_tier = g.serviceTier
    return body
  })

/** A `/v1/responses` body as Responses clients send it (ids of earlier items included). */
const responsesItem: fc.Arbitrary<JsonObject[]> = fc.oneof(
  fc
    .record({
      role: fc.constantFrom('user', 'developer', 'system'),
      content: fc.oneof(
        text,
        fc.array(
          text.map((t) => ({ type: 'input_text', text: t })),
          { minLength: 1, maxLength: 2 },
        ),
      ),
      typed: fc.boolean(),
      id: fc.option(fc.constant('msg_0123456789abcdef'), { nil: undefined }),
    })
    .map(({ typed, id, ...item }) => [
      { ...(typed ? { type: 'message' } : {}), ...(id ? { id } : {}), ...item },
    ]),
  text.map((t) => [
    {
      id: 'msg_assistant_1',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: t }],
    },
  ]),
  fc.constant<JsonObject[]>([{ type: 'item_reference', id: 'rs_0123456789abcdef' }]),
  fc.constant<JsonObject[]>([
    { id: 'rs_0123456789abcdef', type: 'reasoning', summary: [], encrypted_content: 'gAAAAABencrypted' },
  ]),
  fc.tuple(toolName, text).map(([name, output]) => [
    { id: 'fc_0123456789abcdef', type: 'function_call', call_id: `call_${name}`, name, arguments: '{}' },
    { type: 'function_call_output', call_id: `call_${name}`, output },
  ]),
)

const RESPONSES_STRIPPED = [
  'temperature',
  'top_p',
  'max_output_tokens',
  'metadata',
  'prompt_cache_retention',
  'safety_identifier',
  'seed',
  'stream_options',
  'truncation',
  'user',
] as const

const responsesRequest = fc
  .record({
    model: fc.constantFrom(...MODELS),
    input: fc.oneof(
      text,
      fc.array(responsesItem, { minLength: 1, maxLength: 5 }).map((groups) => groups.flat()),
      fc.constant({ type: 'message', role: 'user', content: 'single object' }),
    ),
    instructions: fc.option(text, { nil: undefined }),
    tools: fc.uniqueArray(toolDefinition, { maxLength: 3, selector: (t) => t.fn.name }),
    format: fc.option(
      fc.record({ name: nonBlank, schema: objectSchema }).map((f) => ({ type: 'json_schema', ...f })),
      { nil: undefined },
    ),
    stripped: fc.uniqueArray(fc.constantFrom(...RESPONSES_STRIPPED), { maxLength: 5 }),
    value: fc.jsonValue({ maxDepth: 1 }).filter((v) => v !== null),
    conversation: fc.option(nonBlank, { nil: undefined }),
    stream: fc.boolean(),
  })
  .map((g) => {
    const body: JsonObject = { model: g.model.slug, input: g.input, stream: g.stream }
    if (g.instructions !== undefined) body.instructions = g.instructions
    if (g.tools.length > 0) body.tools = g.tools.map((t) => ({ type: 'function', ...t.fn }))
    if (g.format !== undefined) body.text = { format: g.format }
    for (const name of g.stripped) body[name] = g.value
    if (g.conversation !== undefined) body.conversation = g.conversation
    return body
  })

const completionRequest = fc
  .record({
    model: fc.constantFrom(...MODELS),
    prompt: fc.oneof(
      text,
      text.map((t) => [t]),
      fc.constant(undefined),
    ),
    effort: fc.option(fc.nat(5), { nil: undefined }),
    stripped: fc.uniqueArray(fc.constantFrom('temperature', 'max_tokens', 'user', 'metadata', 'seed'), {
      maxLength: 4,
    }),
    value: fc.jsonValue({ maxDepth: 1 }),
    includeUsage: fc.boolean(),
  })
  .map((g) => {
    const body: JsonObject = {
      model: g.model.slug,
      stream: true,
      stream_options: { include_usage: g.includeUsage },
    }
    if (g.prompt !== undefined) body.prompt = g.prompt
    if (g.effort !== undefined) body.reasoning_effort = g.model.efforts[g.effort % g.model.efforts.length]
    for (const name of g.stripped) body[name] = g.value
    return body
  })

/** A mutation that makes a valid request invalid, with the parameter the error must name. */
interface Mutation {
  apply(body: JsonObject): { body: JsonObject; param: string; noTools?: boolean }
}

function firstTool(body: JsonObject): string {
  if (!Array.isArray(body.tools) || body.tools.length === 0)
    body.tools = [{ type: 'function', function: { name: 'forced_tool' } }]
  const tool = (body.tools as JsonObject[])[0] as { name?: string; function?: { name: string } }
  return tool.function?.name ?? (tool.name as string)
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .integer({ min: 2, max: 8 })
    .map((n) => ({ apply: (b: JsonObject) => ({ body: { ...b, n }, param: 'n' }) })),
  fc.constant({ apply: (b: JsonObject) => ({ body: { ...b, store: true }, param: 'store' }) }),
  fc.constant({ apply: (b: JsonObject) => ({ body: { ...b, logprobs: true }, param: 'logprobs' }) }),
  fc.integer({ min: 1, max: 20 }).map((k) => ({
    apply: (b: JsonObject) => ({ body: { ...b, logprobs: null, top_logprobs: k }, param: 'top_logprobs' }),
  })),
  fc.constant({
    apply: (b: JsonObject) => ({ body: { ...b, audio: { voice: 'alloy', format: 'wav' } }, param: 'audio' }),
  }),
  fc.constant({
    apply: (b: JsonObject) => ({
      body: { ...b, prediction: { type: 'content', content: 'x' } },
      param: 'prediction',
    }),
  }),
  fc.constant({
    apply: (b: JsonObject) => ({ body: { ...b, modalities: ['text', 'audio'] }, param: 'modalities' }),
  }),
  fc.constant({
    apply: (b: JsonObject) => ({ body: { ...b, stop: [1] }, param: 'stop' }),
  }),
  fc.constant({
    apply: (b: JsonObject) => ({
      body: {
        ...b,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'n', schema: { type: 'object', properties: {}, additionalProperties: true } },
        },
      },
      param: 'response_format.json_schema.schema',
    }),
  }),
  fc.constantFrom('function', 'critic', 'System', '').map((role) => ({
    apply: (b: JsonObject) => {
      const messages = [...(b.messages as JsonObject[]), { role, content: 'x' }]
      return { body: { ...b, messages }, param: `messages[${messages.length - 1}].role` }
    },
  })),
  fc.constantFrom('input_audio', 'video_url', 'document').map((type) => ({
    apply: (b: JsonObject) => {
      const messages = [
        ...(b.messages as JsonObject[]),
        { role: 'user', content: [{ type: 'text', text: 'a' }, { type }] },
      ]
      return { body: { ...b, messages }, param: `messages[${messages.length - 1}].content[1].type` }
    },
  })),
  fc.constant({
    apply: (b: JsonObject) => {
      const messages = [...(b.messages as JsonObject[]), { role: 'tool', content: 'orphan' }]
      return { body: { ...b, messages }, param: `messages[${messages.length - 1}].tool_call_id` }
    },
  }),
  fc.constant({
    apply: (b: JsonObject) => {
      const { functions: _f, ...rest } = b
      const tools = [...((rest.tools as JsonObject[] | undefined) ?? []), { type: 'web_search' }]
      return { body: { ...rest, tools }, param: `tools[${tools.length - 1}].type` }
    },
  }),
  fc.constant({
    apply: (b: JsonObject) => {
      const { functions: _f, function_call: _c, tool_choice: _t, ...rest } = b
      const body = { ...rest }
      firstTool(body)
      return { body, param: 'tools', noTools: true }
    },
  }),
  fc.constant({ apply: (b: JsonObject) => ({ body: { ...b, stream: 'yes' }, param: 'stream' }) }),
  fc.constant({ apply: (b: JsonObject) => ({ body: { ...b, model: '' }, param: 'model' }) }),
  fc.constant({ apply: (b: JsonObject) => ({ body: { ...b, messages: [] }, param: 'messages' }) }),
  fc.constant({
    apply: (b: JsonObject) => {
      const { functions: _f, function_call: _c, ...rest } = b
      const body: JsonObject = { ...rest }
      firstTool(body)
      body.tool_choice = { type: 'function', function: { name: 'no_such_function_defined' } }
      return { body, param: 'tool_choice' }
    },
  }),
)

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/** Replaces the parts left for the file inliner with text, as the inliner would. */
function inlineFiles(result: TranslationSuccess): JsonObject {
  const request = structuredClone(result.request) as JsonObject
  for (const ref of result.fileRefs) {
    let target: unknown = request
    for (const key of ref.path.slice(0, -1)) target = (target as Record<string | number, unknown>)[key]
    ;(target as unknown[])[ref.path.at(-1) as number] = {
      type: 'input_text',
      text: `[inlined ${ref.fileId ?? 'file'}]`,
    }
  }
  return request
}

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

async function post(request: JsonObject, sessionId: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${emu.backendUrl}/responses`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokens.access_token}`,
      'chatgpt-account-id': tokens.account_id,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      originator: 'codex_cli_rs',
      session_id: sessionId,
    },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(10_000),
  })
  return { status: response.status, body: await response.text() }
}

/** Walks `param` ("a.b[2].c") into `body`; true when everything but the last step exists. */
function parentExists(body: unknown, param: string): boolean {
  const steps = [...param.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  )
  let node: unknown = body
  for (const step of steps.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return false
    node = (node as Record<string | number, unknown>)[step]
  }
  return typeof node === 'object' && node !== null
}

// ------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------

describe('acceptance against the upstream emulator', () => {
  it('every accepted chat request is accepted by the backend, and its answer translates back', async () => {
    await fc.assert(
      fc.asyncProperty(validRequest, async (body) => {
        const result = translateChatRequest(body)
        if (!result.ok) throw new Error(`rejected a valid request: ${JSON.stringify(result.error)}`)
        for (const name of result.ignoredParameters) expect(result.request).not.toHaveProperty(name)
        for (const name of STRIPPED_PARAMETERS) {
          expect(result.ignoredParameters.includes(name)).toBe(Object.hasOwn(body, name))
        }
        const upstream = await post(inlineFiles(result), result.sessionId)
        expect(upstream.status, upstream.body).toBe(200)

        const events = parseSse(upstream.body)
        const items = []
        for await (const item of chatChunks(events, result.context)) items.push(item)
        expect(items.at(-1)).toEqual({ kind: 'done' })
        const finishes = items.filter(
          (item) => item.kind === 'chunk' && item.data.choices[0]?.finish_reason != null,
        )
        expect(finishes).toHaveLength(1)
        const completion = toChatCompletion(await aggregateResponse(events), result.context)
        const calls = completion.choices[0]?.message.tool_calls ?? []
        const clientNames = new Set(
          [
            ...((body.tools as JsonObject[] | undefined) ?? []),
            ...((body.functions as JsonObject[] | undefined) ?? []),
          ].map((t) => ((t.function as JsonObject | undefined)?.name ?? t.name) as string),
        )
        for (const call of calls) expect(clientNames.has(call.function.name)).toBe(true)
        // `stop` is honoured locally: never sent upstream, no sequence in the text, and the
        // stream and the non-stream answer carry the same text.
        expect(result.request).not.toHaveProperty('stop')
        const content = completion.choices[0]?.message.content ?? ''
        for (const sequence of result.context.stop ?? []) expect(content.includes(sequence)).toBe(false)
        const streamed = items
          .map((item) => (item.kind === 'chunk' ? (item.data.choices[0]?.delta.content ?? '') : ''))
          .join('')
        expect(streamed).toBe(content)
      }),
      { numRuns: 150, interruptAfterTimeLimit: 90_000 },
    )
  }, 120_000)

  it('every normalised /v1/responses request is accepted by the backend', async () => {
    await fc.assert(
      fc.asyncProperty(responsesRequest, async (body) => {
        const result = normalizeResponsesRequest(body)
        if (!result.ok) throw new Error(`rejected a valid request: ${JSON.stringify(result.error)}`)
        for (const name of RESPONSES_STRIPPED) {
          expect(result.ignoredParameters.includes(name)).toBe(Object.hasOwn(body, name))
        }
        expect(result.context.stream).toBe(body.stream)
        const upstream = await post(inlineFiles(result), result.sessionId)
        expect(upstream.status, upstream.body).toBe(200)
        const response = await aggregateResponse(parseSse(upstream.body))
        expect(response.status).toBe('completed')
      }),
      { numRuns: 60, interruptAfterTimeLimit: 60_000 },
    )
  }, 90_000)

  it('every translated completions request is accepted by the backend', async () => {
    await fc.assert(
      fc.asyncProperty(completionRequest, async (body) => {
        const result = translateCompletionRequest(body)
        if (!result.ok) throw new Error(`rejected a valid request: ${JSON.stringify(result.error)}`)
        const upstream = await post(result.request, result.sessionId)
        expect(upstream.status, upstream.body).toBe(200)
        const events = parseSse(upstream.body)
        const items = []
        for await (const item of completionChunks(events, result.context)) items.push(item)
        expect(items.at(-1)).toEqual({ kind: 'done' })
        const text = items
          .flatMap((item) => (item.kind === 'chunk' ? item.data.choices.map((c) => c.text) : []))
          .join('')
        expect(toTextCompletion(await aggregateResponse(events), result.context).choices[0]?.text).toBe(text)
      }),
      { numRuns: 30, interruptAfterTimeLimit: 60_000 },
    )
  }, 90_000)

  it('every rejected request names the offending parameter', () => {
    fc.assert(
      fc.property(validRequest, mutation, (valid, change) => {
        const { body, param, noTools } = change.apply(valid)
        const result = translateChatRequest(body, { noTools })
        if (result.ok) throw new Error(`accepted an invalid request (expected an error on ${param})`)
        expect(result.error.status).toBe(400)
        expect(result.error.type).toBe('invalid_request_error')
        expect(result.error.param).toBe(param)
        expect(parentExists(body, param)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('never throws on arbitrary JSON, and every error param points into the body', () => {
    const junk = fc.oneof(
      fc.jsonValue(),
      fc.record({ model: fc.jsonValue(), messages: fc.jsonValue() }, { requiredKeys: [] }),
      fc.record({
        model: fc.constant('gpt-5.5'),
        messages: fc.array(
          fc.record(
            {
              role: fc.oneof(
                fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool'),
                fc.jsonValue(),
              ),
              content: fc.jsonValue(),
              tool_calls: fc.jsonValue(),
              tool_call_id: fc.jsonValue(),
              refusal: fc.jsonValue(),
            },
            { requiredKeys: ['role'] },
          ),
          { maxLength: 4 },
        ),
        tools: fc.jsonValue(),
        tool_choice: fc.jsonValue(),
        response_format: fc.jsonValue(),
      }),
    )
    fc.assert(
      fc.property(junk, fc.boolean(), (body, noTools) => {
        const result = translateChatRequest(body, { noTools })
        if (result.ok) {
          expect(result.request.store).toBe(false)
          expect(result.request.stream).toBe(true)
          expect(typeof result.request.instructions).toBe('string')
          expect(result.request.instructions).not.toBe('')
          return
        }
        if (result.error.param === null) {
          expect(result.error.code).toBe('invalid_request')
        } else {
          expect(parentExists(body, result.error.param)).toBe(true)
        }
      }),
      { numRuns: 1000 },
    )
  })
})
