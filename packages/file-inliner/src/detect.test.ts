import { describe, expect, it } from 'vitest'
import { IMAGES, PDF } from './_test-helpers'
import { detectKind } from './index'

const text = (s: string): Buffer => Buffer.from(s, 'utf8')

describe('detectKind', () => {
  it.each([
    // [label, bytes, declared, filename, kind, contentType]
    ['PNG by magic, nothing declared', IMAGES.png, undefined, 'x', 'image', 'image/png'],
    ['JPEG by magic', IMAGES.jpeg, 'image/jpeg', 'photo.jpg', 'image', 'image/jpeg'],
    ['GIF by magic', IMAGES.gif, null, null, 'image', 'image/gif'],
    ['WebP by magic', IMAGES.webp, 'application/octet-stream', 'a.webp', 'image', 'image/webp'],
    [
      'sniffed PNG beats a wrong declared image type',
      IMAGES.png,
      'image/jpeg',
      'a.jpg',
      'image',
      'image/png',
    ],
    ['sniffed PNG beats a declared text type', IMAGES.png, 'text/plain', 'a.txt', 'image', 'image/png'],
    ['declared text/plain', text('hello'), 'text/plain', 'a.bin', 'text', 'text/plain'],
    [
      'declared type is normalised',
      text('hi'),
      ' Text/Markdown; charset=UTF-8',
      null,
      'text',
      'text/markdown',
    ],
    ['application/json', text('{}'), 'application/json', null, 'text', 'application/json'],
    ['application/xml', text('<a/>'), 'application/xml', null, 'text', 'application/xml'],
    ['application/yaml', text('a: 1'), 'application/yaml', null, 'text', 'application/yaml'],
    ['application/x-yaml', text('a: 1'), 'application/x-yaml', null, 'text', 'application/x-yaml'],
    ['application/csv', text('a,b'), 'application/csv', null, 'text', 'application/csv'],
    ['application/javascript', text('1'), 'application/javascript', null, 'text', 'application/javascript'],
    ['+json suffix', text('{}'), 'application/ld+json', null, 'text', 'application/ld+json'],
    ['+xml suffix', text('<svg/>'), 'image/svg+xml', 'a.svg', 'text', 'image/svg+xml'],
    ['declared PDF stays other', PDF, 'application/pdf', 'a.pdf', 'other', 'application/pdf'],
    ['declared zip stays other', text('PK'), 'application/zip', 'a.zip', 'other', 'application/zip'],
    [
      'octet-stream + .md + UTF-8',
      text('# Title'),
      'application/octet-stream',
      'notes.md',
      'text',
      'text/markdown',
    ],
    ['missing type + .py', text('print(1)\n'), undefined, 'main.py', 'text', 'text/x-python'],
    ['missing type + .ts', text('export {}'), null, 'src/a.ts', 'text', 'text/x-typescript'],
    ['missing type + .json', text('{"a":1}'), undefined, 'A.JSON', 'text', 'application/json'],
    ['missing type + .yml', text('a: 1'), undefined, 'ci.yml', 'text', 'application/yaml'],
    ['missing type + .csv', text('a,b'), undefined, 'data.csv', 'text', 'text/csv'],
    ['missing type + .sql', text('select 1'), undefined, 'q.sql', 'text', 'application/sql'],
    ['missing type + .toml', text('a = 1'), undefined, 'cfg.toml', 'text', 'application/toml'],
    ['missing type + .sh', text('echo'), undefined, 'run.sh', 'text', 'application/x-sh'],
    ['missing type + .log', text('line'), undefined, 'app.log', 'text', 'text/plain'],
    ['missing type + Dockerfile', text('FROM node'), undefined, 'Dockerfile', 'text', 'text/plain'],
    ['invalid declared type counts as missing', text('a'), 'not a type', 'a.txt', 'text', 'text/plain'],
    ['UTF-8 multi-byte text', text('grüße 😀'), undefined, 'a.txt', 'text', 'text/plain'],
    [
      'text extension but NUL bytes',
      Buffer.from([0x61, 0x00, 0x62]),
      undefined,
      'a.txt',
      'other',
      'application/octet-stream',
    ],
    [
      'text extension but invalid UTF-8',
      Buffer.from([0x61, 0xff, 0xfe]),
      undefined,
      'a.txt',
      'other',
      'application/octet-stream',
    ],
    [
      'UTF-8 text without a known extension',
      text('hello'),
      undefined,
      'notes',
      'other',
      'application/octet-stream',
    ],
    [
      'UTF-8 text with an unknown extension',
      text('hello'),
      undefined,
      'notes.xyz',
      'other',
      'application/octet-stream',
    ],
    ['PDF magic with octet-stream', PDF, 'application/octet-stream', 'doc', 'other', 'application/pdf'],
    ['declared PNG that is really text', text('just text'), 'image/png', 'a.txt', 'text', 'text/plain'],
    [
      'declared PNG that is really binary',
      Buffer.from([1, 2, 3]),
      'image/png',
      'a.png',
      'other',
      'application/octet-stream',
    ],
    ['declared BMP is kept (not verifiable)', Buffer.from('BM'), 'image/bmp', 'a.bmp', 'other', 'image/bmp'],
    ['empty file, nothing known', Buffer.alloc(0), undefined, undefined, 'other', 'application/octet-stream'],
  ] as const)('%s', (_label, bytes, declared, filename, kind, contentType) => {
    expect(detectKind(bytes, declared, filename)).toEqual({ kind, contentType })
  })

  it('accepts a head cut in the middle of a multi-byte character', () => {
    const full = text('abc😀')
    expect(detectKind(full.subarray(0, full.length - 2), undefined, 'a.txt')).toEqual({
      kind: 'text',
      contentType: 'text/plain',
    })
  })

  it('does not look past the head it is given for magic bytes at an offset', () => {
    const shifted = Buffer.concat([Buffer.from('x'), IMAGES.png])
    expect(detectKind(shifted, 'application/octet-stream', 'a.png').kind).toBe('other')
  })
})
