import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IMAGES, makeTempDir, PDF } from './_test-helpers'
import {
  createFileStore,
  expandFileReferences,
  type FileContentReader,
  type FileObject,
  type FileStore,
} from './index'

let cleanup: () => Promise<void>
let store: FileStore
const files: Record<string, FileObject> = {}
const UNKNOWN = `file_${'0'.repeat(32)}`
const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64')
const dataUrl = (type: string, bytes: Uint8Array | string): string => `data:${type};base64,${b64(bytes)}`

beforeAll(async () => {
  const tmp = await makeTempDir()
  cleanup = tmp.cleanup
  store = createFileStore({ dataDir: tmp.root })
  files.md = await store.create(Buffer.from('# Plan\n\nShip it.\n'), { filename: 'plan.md' })
  files.json = await store.create(Buffer.from('{"a":1}'), {
    filename: 'data',
    contentType: 'application/json',
  })
  files.png = await store.create(IMAGES.png, { filename: 'pixel.png', contentType: 'image/png' })
  files.jpeg = await store.create(IMAGES.jpeg, { filename: 'photo', contentType: 'application/octet-stream' })
  files.pdf = await store.create(PDF, { filename: 'paper.pdf', contentType: 'application/pdf' })
  files.big = await store.create(Buffer.alloc(1_000_001, 0x61), {
    filename: 'big.txt',
    contentType: 'text/plain',
  })
  files.edge = await store.create(Buffer.alloc(1_000_000, 0x62), { filename: 'edge.txt' })
  files.latin1 = await store.create(Buffer.from([0x63, 0x61, 0x66, 0xe9]), {
    filename: 'cafe.txt',
    contentType: 'text/plain; charset=latin1',
  })
})
afterAll(async () => {
  await cleanup()
})

const user = (...content: unknown[]) => ({ type: 'message', role: 'user', content })

describe('expandFileReferences: file references', () => {
  it('inlines a referenced text file as input_text with the header line', async () => {
    const input = [
      user({ type: 'input_text', text: 'Summarise:' }, { type: 'input_file', file_id: files.md!.id }),
    ]
    expect(await expandFileReferences(input, store)).toEqual([
      user(
        { type: 'input_text', text: 'Summarise:' },
        { type: 'input_text', text: 'Uploaded file `plan.md` (text/markdown):\n\n# Plan\n\nShip it.\n' },
      ),
    ])
  })

  it('turns every image reference shape into an input_image data URL, keeping detail', async () => {
    const png = dataUrl('image/png', IMAGES.png)
    const input = [
      user(
        { type: 'input_image', file_id: files.png!.id, detail: 'high' },
        { type: 'image_url', image_url: { file_id: files.png!.id } },
        { type: 'image_url', image_url: { file_id: files.png!.id, detail: 'low' } },
        { type: 'input_file', file_id: files.jpeg!.id },
        { type: 'file', file: { file_id: files.png!.id } },
      ),
    ]
    expect(await expandFileReferences(input, store)).toEqual([
      user(
        { type: 'input_image', image_url: png, detail: 'high' },
        { type: 'input_image', image_url: png, detail: 'auto' },
        { type: 'input_image', image_url: png, detail: 'low' },
        { type: 'input_image', image_url: dataUrl('image/jpeg', IMAGES.jpeg), detail: 'auto' },
        { type: 'input_image', image_url: png, detail: 'auto' },
      ),
    ])
  })

  it('expands chat `file` parts and any other part carrying a file_id', async () => {
    const input = [
      user({ type: 'file', file: { file_id: files.json!.id } }, { type: 'text', file_id: files.md!.id }),
    ]
    const [message] = (await expandFileReferences(input, store)) as Array<{ content: unknown[] }>
    expect(message!.content).toEqual([
      { type: 'input_text', text: 'Uploaded file `data` (application/json):\n\n{"a":1}' },
      { type: 'input_text', text: 'Uploaded file `plan.md` (text/markdown):\n\n# Plan\n\nShip it.\n' },
    ])
  })

  it('expands parts inside function_call_output arrays', async () => {
    const input = [
      { type: 'function_call', call_id: 'c1', name: 'read', arguments: '{}' },
      {
        type: 'function_call_output',
        call_id: 'c1',
        output: [
          { type: 'input_text', text: 'result:' },
          { type: 'input_file', file_id: files.md!.id },
        ],
      },
      { type: 'function_call_output', call_id: 'c2', output: 'plain string output' },
    ]
    const out = (await expandFileReferences(input, store)) as Array<Record<string, unknown>>
    expect(out[0]).toBe(input[0])
    expect(out[1]!.output).toEqual([
      { type: 'input_text', text: 'result:' },
      { type: 'input_text', text: 'Uploaded file `plan.md` (text/markdown):\n\n# Plan\n\nShip it.\n' },
    ])
    expect(out[2]).toBe(input[2])
  })

  it('works on a bare content-part array and leaves strings and unrelated parts alone', async () => {
    const parts = [
      { type: 'input_text', text: 'hi' },
      { type: 'input_image', image_url: 'https://example.com/a.png' },
      { type: 'input_image', file_id: files.png!.id },
    ]
    const out = await expandFileReferences(parts, store)
    expect(out[0]).toBe(parts[0])
    expect(out[1]).toBe(parts[1])
    expect(out[2]).toMatchObject({ type: 'input_image', detail: 'auto' })
    expect(await expandFileReferences('just a string', store)).toBe('just a string')
  })

  it('does not mutate its input and keeps untouched items identical', async () => {
    const input = [
      { type: 'message', role: 'developer', content: 'be brief' },
      user({ type: 'input_file', file_id: files.md!.id }),
      user({ type: 'input_text', text: 'no files here' }),
    ]
    const snapshot = structuredClone(input)
    const out = await expandFileReferences(input, store)
    expect(input).toEqual(snapshot)
    expect(out[0]).toBe(input[0])
    expect(out[2]).toBe(input[2])
    expect(out[1]).not.toBe(input[1])
  })

  it('reads a file referenced several times only once per call', async () => {
    let opened = 0
    const counting: FileContentReader = {
      get: (id) => store.get(id),
      openContent: (id) => {
        opened++
        return store.openContent(id)
      },
    }
    const ref = { type: 'input_image', file_id: files.png!.id }
    await expandFileReferences([user(ref, ref), user(ref)], counting)
    expect(opened).toBe(1)
  })

  it('inlines a text file of exactly 1,000,000 bytes', async () => {
    const [part] = (await expandFileReferences(
      [{ type: 'input_file', file_id: files.edge!.id }],
      store,
    )) as Array<{
      text: string
    }>
    expect(part!.text).toBe(`Uploaded file \`edge.txt\` (text/plain):\n\n${'b'.repeat(1_000_000)}`)
  })
})

describe('expandFileReferences: errors', () => {
  async function errorOf(input: unknown[], route?: 'responses' | 'chat'): Promise<unknown> {
    return expandFileReferences(input, store, route ? { route } : {}).then(
      () => {
        throw new Error('expected a rejection')
      },
      (error: unknown) => error,
    )
  }

  it('unknown id (well-formed or not) is 422 with the upload hint and the param path', async () => {
    expect(
      await errorOf([user({ type: 'input_text', text: 'x' }, { type: 'input_file', file_id: UNKNOWN })]),
    ).toMatchObject({
      code: 'file_unknown',
      status: 422,
      message: `Unknown local file id \`${UNKNOWN}\`. Upload it first with \`POST /v1/files\`.`,
      param: 'input[0].content[1].file_id',
    })
    expect(
      await errorOf([user({ type: 'image_url', image_url: { file_id: '../x' } })], 'chat'),
    ).toMatchObject({
      code: 'file_unknown',
      message: 'Unknown local file id `../x`. Upload it first with `POST /v1/files`.',
      param: 'messages[0].content[0].image_url.file_id',
    })
    expect(await errorOf([{ type: 'file', file: { file_id: 7 } }])).toMatchObject({
      code: 'file_unknown',
      param: 'input[0].file.file_id',
    })
  })

  it('an image reference to a non-image is 422 "is not an image"', async () => {
    expect(await errorOf([user({ type: 'input_image', file_id: files.md!.id })])).toMatchObject({
      code: 'file_not_image',
      status: 422,
      message: 'File `plan.md` is not an image.',
      param: 'input[0].content[0]',
    })
    expect(await errorOf([user({ type: 'image_url', image_url: { file_id: files.pdf!.id } })])).toMatchObject(
      {
        code: 'file_not_image',
        message: 'File `paper.pdf` is not an image.',
      },
    )
  })

  it('a PDF (or any non-text, non-image file) is 422 "not supported by the subscription backend"', async () => {
    expect(await errorOf([user({ type: 'input_file', file_id: files.pdf!.id })])).toMatchObject({
      code: 'file_type_unsupported',
      status: 422,
      message:
        'File `paper.pdf` with content type `application/pdf` is not supported by the subscription backend.',
    })
  })

  it('a text file over 1,000,000 bytes is 422 "too large to inline as text without truncation"', async () => {
    expect(
      await errorOf([
        {
          type: 'function_call_output',
          call_id: 'c',
          output: [{ type: 'input_file', file_id: files.big!.id }],
        },
      ]),
    ).toMatchObject({
      code: 'file_too_large_to_inline',
      status: 422,
      message: 'File `big.txt` is too large to inline as text without truncation.',
      param: 'input[0].output[0]',
    })
  })

  it('a text file that is not valid UTF-8 is 422, never mangled', async () => {
    expect(await errorOf([user({ type: 'input_file', file_id: files.latin1!.id })])).toMatchObject({
      code: 'file_not_utf8',
      status: 422,
      message: 'File `cafe.txt` is not valid UTF-8 text, so it cannot be inlined.',
    })
  })

  it('a file deleted between requests is an unknown id', async () => {
    const gone = await store.create(Buffer.from('bye'), { filename: 'gone.txt' })
    await store.delete(gone.id)
    expect(await errorOf([user({ type: 'input_file', file_id: gone.id })])).toMatchObject({
      code: 'file_unknown',
    })
  })
})

describe('expandFileReferences: inline file_data', () => {
  it('inlines raw base64 with a text filename', async () => {
    const input = [user({ type: 'input_file', filename: 'notes.txt', file_data: b64('línea uno\n') })]
    expect(await expandFileReferences(input, store)).toEqual([
      user({ type: 'input_text', text: 'Uploaded file `notes.txt` (text/plain):\n\nlínea uno\n' }),
    ])
  })

  it('inlines text data URLs, using the URL type', async () => {
    const input = [
      { type: 'input_file', filename: 'table', file_data: dataUrl('text/csv', 'a,b\n1,2\n') },
      { type: 'input_file', file_data: 'data:,hello%20world' },
      { type: 'file', file: { filename: 'x.json', file_data: dataUrl('application/json', '[1]') } },
    ]
    expect(await expandFileReferences(input, store)).toEqual([
      { type: 'input_text', text: 'Uploaded file `table` (text/csv):\n\na,b\n1,2\n' },
      { type: 'input_text', text: 'Uploaded file `upload.bin` (text/plain):\n\nhello world' },
      { type: 'input_text', text: 'Uploaded file `x.json` (application/json):\n\n[1]' },
    ])
  })

  it('sends inline images as input_image', async () => {
    const input = [{ type: 'input_file', filename: 'p.png', file_data: b64(IMAGES.png), detail: 'low' }]
    expect(await expandFileReferences(input, store)).toEqual([
      { type: 'input_image', image_url: dataUrl('image/png', IMAGES.png), detail: 'low' },
    ])
  })

  it('rejects raw base64 without a recognisable extension with the reference message', async () => {
    const error = await expandFileReferences(
      [user({ type: 'input_file', filename: 'README', file_data: b64('x') })],
      store,
    )
      .then(() => null)
      .catch((e: unknown) => e)
    expect(error).toBeNull() // README is a known text name
    for (const filename of [undefined, 'blob', 'archive.weird']) {
      await expect(
        expandFileReferences([{ type: 'input_file', filename, file_data: b64('x') }], store),
      ).rejects.toMatchObject({
        code: 'file_data_invalid',
        status: 422,
        message:
          'Raw `input_file.file_data` requires a recognizable filename extension so AIRelays can translate it for the subscription backend.',
        param: 'input[0].filename',
      })
    }
  })

  it('rejects a non-string filename, invalid base64 and malformed data URLs', async () => {
    await expect(
      expandFileReferences([{ type: 'input_file', filename: 5, file_data: b64('x') }], store),
    ).rejects.toMatchObject({ code: 'file_data_invalid', message: '`input_file.filename` must be a string.' })
    await expect(
      expandFileReferences([{ type: 'input_file', filename: 'a.txt', file_data: 'not*base64!' }], store),
    ).rejects.toMatchObject({
      code: 'file_data_invalid',
      message: '`input_file.file_data` is not valid base64.',
    })
    await expect(
      expandFileReferences([{ type: 'input_file', file_data: 'data:text/plain;base64' }], store),
    ).rejects.toMatchObject({
      code: 'file_data_invalid',
      message: '`input_file.file_data` is not a valid data URL.',
    })
    await expect(expandFileReferences([{ type: 'input_file', file_data: 123 }], store)).rejects.toMatchObject(
      {
        code: 'file_data_invalid',
        message: '`input_file.file_data` must be a base64 string or a data URL.',
      },
    )
    await expect(
      expandFileReferences([{ type: 'file', file: { filename: 'a.txt', file_data: '%%%' } }], store),
    ).rejects.toMatchObject({
      message: '`file.file_data` is not valid base64.',
      param: 'input[0].file.file_data',
    })
  })

  it('rejects inline non-text, non-image data with the reference-like message', async () => {
    await expect(
      expandFileReferences([user({ type: 'input_file', filename: 'paper.pdf', file_data: b64(PDF) })], store),
    ).rejects.toMatchObject({
      code: 'file_type_unsupported',
      status: 422,
      message:
        'File `paper.pdf` with content type `application/pdf` is not supported by the subscription backend.',
      param: 'input[0].content[0]',
    })
    await expect(
      expandFileReferences([{ type: 'input_file', file_data: dataUrl('application/pdf', PDF) }], store),
    ).rejects.toMatchObject({ code: 'file_type_unsupported' })
  })

  it('applies the same text size limit to inline data', async () => {
    await expect(
      expandFileReferences(
        [{ type: 'input_file', filename: 'huge.txt', file_data: b64('a'.repeat(1_000_001)) }],
        store,
      ),
    ).rejects.toMatchObject({
      code: 'file_too_large_to_inline',
      message: 'File `huge.txt` is too large to inline as text without truncation.',
    })
  })

  it('a file_id wins over inline data, and input_file with only a URL is left alone', async () => {
    const withUrl = { type: 'input_file', file_url: 'https://example.com/a.pdf' }
    const out = await expandFileReferences(
      [{ type: 'input_file', file_id: files.md!.id, file_data: 'ignored' }, withUrl],
      store,
    )
    expect(out[0]).toMatchObject({ type: 'input_text' })
    expect(out[1]).toBe(withUrl)
  })
})

describe('expandFileReferences: expansion budget (issue 26, item 4)', () => {
  it('refuses a small request referencing one upload thousands of times with 413 before reading it', async () => {
    let opened = 0
    const counting: FileContentReader = {
      get: (id) => store.get(id),
      openContent: (id) => {
        opened++
        return store.openContent(id)
      },
    }
    // edge.txt is 1,000,000 bytes; 3,000 references would inline 3 GB.
    const ref = { type: 'input_file', file_id: files.edge!.id }
    const request = [user(...Array.from({ length: 3000 }, () => ref))]
    expect(JSON.stringify(request).length).toBeLessThan(250_000)
    const error = await expandFileReferences(request, counting, { maxExpandedBytes: 67_108_864 }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'expansion_too_large', status: 413, param: 'input[0].content[67]' })
    // 67 references fit under 64 MiB: the one file was read once, nothing was built for the 68th.
    expect(opened).toBe(1)
  })

  it('the default budget is 64 MiB and counts every reference, inline file_data included', async () => {
    const ref = { type: 'input_file', file_id: files.edge!.id }
    await expect(
      expandFileReferences([user(...Array.from({ length: 67 }, () => ref))], store),
    ).resolves.toHaveLength(1)
    await expect(
      expandFileReferences([user(...Array.from({ length: 68 }, () => ref))], store),
    ).rejects.toMatchObject({
      code: 'expansion_too_large',
    })
    const inline = { type: 'input_file', filename: 'a.txt', file_data: b64('x'.repeat(10)) }
    await expect(
      expandFileReferences([user(inline, inline, inline)], store, { maxExpandedBytes: 29 }),
    ).rejects.toMatchObject({ code: 'expansion_too_large', param: 'input[0].content[2]' })
    await expect(
      expandFileReferences([user(inline, inline, inline)], store, { maxExpandedBytes: 30 }),
    ).resolves.toHaveLength(1)
  })

  it('refuses a bad maxExpandedBytes with invalid_option', async () => {
    await expect(expandFileReferences([], store, { maxExpandedBytes: 0 })).rejects.toMatchObject({
      code: 'invalid_option',
    })
  })
})
