import { describe, expect, it } from 'vitest'
import { normalizeJsonSchema } from './schema'
import { Invalid } from './util'

const P = 'response_format.json_schema.schema'

function rejection(schema: Record<string, unknown>): { message: string; param: string | null } {
  try {
    normalizeJsonSchema(schema, P)
  } catch (error) {
    if (error instanceof Invalid) return { message: error.message, param: error.param }
    throw error
  }
  throw new Error('expected a rejection')
}

describe('normalizeJsonSchema', () => {
  it('requires every property in order, then extra required names, and makes optional ones nullable', () => {
    const out = normalizeJsonSchema(
      {
        type: 'object',
        properties: { b: { type: 'string' }, a: { type: 'integer' }, c: { type: 'null' } },
        required: ['a', 'ghost', 'a'],
      },
      P,
    )
    expect(out).toEqual({
      type: 'object',
      properties: { b: { type: ['string', 'null'] }, a: { type: 'integer' }, c: { type: 'null' } },
      required: ['b', 'a', 'c', 'ghost'],
      additionalProperties: false,
    })
  })

  it('adds a null variant to anyOf / oneOf unless one admits null already', () => {
    const out = normalizeJsonSchema(
      {
        type: 'object',
        properties: {
          one: { oneOf: [{ type: 'string' }, { type: 'number' }], description: 'x' },
          any: { anyOf: [{ type: 'string' }, { type: ['number', 'null'] }] },
          all: { anyOf: [{ type: 'string' }], allOf: [{ minLength: 1 }] },
        },
      },
      P,
    )
    expect(out.properties).toEqual({
      one: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }], description: 'x' },
      any: { anyOf: [{ type: 'string' }, { type: ['number', 'null'] }] },
      all: { anyOf: [{ anyOf: [{ type: 'string' }], allOf: [{ minLength: 1 }] }, { type: 'null' }] },
    })
  })

  it('wraps $ref, const and enum-only schemas in anyOf, adds null to typed enums, leaves boolean schemas', () => {
    const out = normalizeJsonSchema(
      {
        type: 'object',
        properties: {
          ref: { $ref: '#/$defs/x' },
          fixed: { type: 'string', const: 'v' },
          bare: { enum: [1, 2] },
          typed: { type: 'integer', enum: [1, 2] },
          anything: true,
        },
      },
      P,
    )
    expect(out.properties).toEqual({
      ref: { anyOf: [{ $ref: '#/$defs/x' }, { type: 'null' }] },
      fixed: { anyOf: [{ type: 'string', const: 'v' }, { type: 'null' }] },
      bare: { anyOf: [{ enum: [1, 2] }, { type: 'null' }] },
      typed: { type: ['integer', 'null'], enum: [1, 2, null] },
      anything: true,
    })
  })

  it('walks every subschema keyword', () => {
    const obj = (name: string) => ({ type: 'object', properties: { [name]: { type: 'string' } } })
    const closed = (name: string) => ({
      type: 'object',
      properties: { [name]: { type: ['string', 'null'] } },
      required: [name],
      additionalProperties: false,
    })
    const out = normalizeJsonSchema(
      {
        type: 'object',
        properties: {},
        patternProperties: { '^x-': obj('p') },
        $defs: { d: obj('d') },
        definitions: { e: obj('e') },
        items: obj('i'),
        prefixItems: [obj('pi')],
        contains: obj('c'),
        additionalItems: obj('ai'),
        if: obj('if'),
        // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword
        then: obj('then'),
        else: obj('else'),
        not: obj('not'),
        anyOf: [obj('any')],
        allOf: [obj('all')],
        oneOf: [obj('one')],
      },
      P,
    )
    expect(out).toEqual({
      type: 'object',
      properties: {},
      required: [],
      additionalProperties: false,
      patternProperties: { '^x-': closed('p') },
      $defs: { d: closed('d') },
      definitions: { e: closed('e') },
      items: closed('i'),
      prefixItems: [closed('pi')],
      contains: closed('c'),
      additionalItems: closed('ai'),
      if: closed('if'),
      // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword
      then: closed('then'),
      else: closed('else'),
      not: closed('not'),
      anyOf: [closed('any')],
      allOf: [closed('all')],
      oneOf: [closed('one')],
    })
  })

  it('walks tuple-style items arrays', () => {
    const out = normalizeJsonSchema({ type: 'array', items: [{ type: 'object', properties: {} }] }, P)
    expect(out).toEqual({
      type: 'array',
      items: [{ type: 'object', properties: {}, required: [], additionalProperties: false }],
    })
  })

  it('normalises nested optional objects before making them nullable', () => {
    const out = normalizeJsonSchema(
      {
        type: 'object',
        properties: {
          outer: {
            type: 'object',
            properties: {
              inner: { type: 'object', properties: { leaf: { type: 'boolean' } }, required: ['leaf'] },
            },
          },
        },
      },
      P,
    )
    expect(out).toEqual({
      type: 'object',
      properties: {
        outer: {
          type: ['object', 'null'],
          properties: {
            inner: {
              type: ['object', 'null'],
              properties: { leaf: { type: 'boolean' } },
              required: ['leaf'],
              additionalProperties: false,
            },
          },
          required: ['inner'],
          additionalProperties: false,
        },
      },
      required: ['outer'],
      additionalProperties: false,
    })
  })

  it('keeps additionalProperties false and rejects any other value with the schema path', () => {
    expect(normalizeJsonSchema({ type: 'object', additionalProperties: false }, P)).toEqual({
      type: 'object',
      additionalProperties: false,
    })
    expect(rejection({ type: 'object', additionalProperties: true })).toEqual({
      message:
        'The subscription backend requires every object schema to set `additionalProperties` to `false`; incompatible value at `$`.',
      param: P,
    })
    expect(
      rejection({ $defs: { 'my-node': { type: 'object', additionalProperties: { type: 'string' } } } })
        .message,
    ).toContain('incompatible value at `$.$defs["my-node"]`.')
    expect(
      rejection({ type: 'array', items: [{}, { properties: {}, additionalProperties: null }] }).message,
    ).toContain('at `$.items[1]`.')
  })

  it('does not modify its input', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } }
    const copy = structuredClone(schema)
    normalizeJsonSchema(schema, P)
    expect(schema).toEqual(copy)
  })

  it('rejects schemas nested too deeply instead of overflowing the stack', () => {
    let schema: Record<string, unknown> = { type: 'string' }
    for (let i = 0; i < 200; i++) schema = { type: 'array', items: schema }
    expect(rejection(schema)).toEqual({ message: `\`${P}\` is nested more than 64 levels deep.`, param: P })
  })
})
