import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { listTree, makeTempDir } from './_test-helpers'
import { createFileStore, type FileStore, isFileInlinerError } from './index'

const FILE_ID = /^file_[0-9a-f]{32}$/

let root: string
let cleanup: () => Promise<void>
let dataDir: string
let store: FileStore

beforeEach(async () => {
  ;({ root, cleanup } = await makeTempDir())
  // A sandbox: <root>/sandbox/data is the data dir; <root>/sandbox and <root> must stay untouched.
  dataDir = join(root, 'sandbox', 'data')
  store = createFileStore({ dataDir })
  await store.open()
})
afterEach(async () => {
  await cleanup()
})

const LONG = 'A'.repeat(4096)

// [label, client filename, stored label]
const FILENAMES: ReadonlyArray<readonly [string, unknown, string]> = [
  ['parent traversal', '../../x', '../../x'],
  ['windows traversal', '..\\x', '..\\x'],
  ['encoded traversal', '%2e%2e%2f', '%2e%2e%2f'],
  ['absolute path', '/etc/passwd', '/etc/passwd'],
  ['absolute path into the data dir', '/tmp/../index.json', '/tmp/../index.json'],
  ['windows absolute path', 'C:\\Windows\\system32\\x.dll', 'C:\\Windows\\system32\\x.dll'],
  ['NUL byte', 'a\u0000b.txt', 'ab.txt'],
  ['4 KB name', LONG, 'A'.repeat(255)],
  ['.htaccess', '.htaccess', '.htaccess'],
  ['index.json', 'index.json', 'index.json'],
  ['double extension', 'test.jpg;.asp', 'test.jpg;.asp'],
  ['RTL override', 'evil\u202Etxt.exe', 'eviltxt.exe'],
  ['bidi isolates', '\u2066a\u2069b', 'ab'],
  ['emoji', '😀 report 👩‍💻.txt', '😀 report 👩‍💻.txt'],
  ['combining characters', 'e\u0301\u0301\u0301.txt', 'e\u0301\u0301\u0301.txt'],
  ['CRLF injection', 'a\r\nSet-Cookie: x=1', 'aSet-Cookie: x=1'],
  ['control characters only', '\u0001\u0002\u007f', 'upload.bin'],
  ['lone surrogate', 'a\ud800b', 'a\ufffdb'],
  ['empty', '', 'upload.bin'],
  ['not a string', 42, 'upload.bin'],
]

describe('filename attacks (B11 U4)', () => {
  it.each(FILENAMES)(
    '%s: stored only as uploads/file_<32hex>, label sanitised',
    async (_label, filename, expected) => {
      const before = await listTree(root)
      const file = await store.create(Buffer.from('payload'), { filename: filename as string })
      expect(file.id).toMatch(FILE_ID)
      expect(file.filename).toBe(expected)
      expect(Array.from(file.filename).length).toBeLessThanOrEqual(255)
      // The only new path anywhere under the temp root is the blob named by the id.
      const after = await listTree(root)
      expect(after.filter((p) => !before.includes(p))).toEqual([`sandbox/data/uploads/${file.id}`])
      expect(await readFile(join(store.uploadsDir, file.id), 'utf8')).toBe('payload')
      // The label survives a restart unchanged.
      expect((await createFileStore({ dataDir }).get(file.id)).filename).toBe(expected)
    },
  )

  it('a 4 KB name of multi-byte characters is capped by code points, not UTF-16 units', async () => {
    const file = await store.create(Buffer.from('x'), { filename: '😀'.repeat(1000) })
    expect(file.filename).toBe('😀'.repeat(255))
  })

  it('purpose and content type are labels too', async () => {
    const file = await store.create(Buffer.from('x'), {
      purpose: '../../assistants\u0000',
      contentType: '../../text/plain',
    })
    expect(file.purpose).toBe('../../assistants')
    expect(file.content_type).toBe('application/octet-stream')
  })
})

const BAD_IDS: readonly unknown[] = [
  '../index.json',
  '../state.sqlite3',
  '../../etc/passwd',
  'index.json',
  'index.json.bak',
  'file_%2e%2e',
  'file_..',
  `file_${'a'.repeat(31)}`,
  `file_${'a'.repeat(33)}`,
  `file_${'A'.repeat(32)}`,
  `file_${'g'.repeat(32)}`,
  `FILE_${'a'.repeat(32)}`,
  `file_${'a'.repeat(32)}/`,
  `file_${'a'.repeat(32)}\u0000`,
  `file_${'a'.repeat(32)}\n`,
  ` file_${'a'.repeat(32)}`,
  `../uploads/file_${'a'.repeat(32)}`,
  '',
  42,
  null,
]

describe('file id attacks (B11 U5)', () => {
  it.each(BAD_IDS.map((id) => [JSON.stringify(id), id]))(
    '%s is a 404 for get, openContent and delete',
    async (_label, id) => {
      // A real file with an id that the attack string would hit after normalisation.
      const target = `file_${'a'.repeat(32)}`
      await writeFile(join(store.uploadsDir, target), 'not indexed')
      const before = await listTree(root)
      for (const call of [store.get, store.openContent, store.delete]) {
        const error = await call(id as string).catch((e: unknown) => e)
        expect(isFileInlinerError(error)).toBe(true)
        expect(error).toMatchObject({ code: 'file_not_found', status: 404 })
        expect((error as Error).message).toMatch(/^Unknown file id `[^\u0000-\u001f]*`\.$/)
      }
      expect(await listTree(root)).toEqual(before)
    },
  )

  it('quotes the id in the message exactly when it is printable and short', async () => {
    await expect(store.get('../index.json')).rejects.toThrow('Unknown file id `../index.json`.')
    const unknown = `file_${'0'.repeat(32)}`
    await expect(store.get(unknown)).rejects.toThrow(`Unknown file id \`${unknown}\`.`)
    const long = `x${'y'.repeat(5000)}`
    const error = (await store.get(long).catch((e: unknown) => e)) as Error
    expect(error.message.length).toBeLessThan(200)
  })

  it('index.json and its backup are untouched by delete attempts', async () => {
    const file = await store.create(Buffer.from('keep me'))
    for (const id of ['../index.json', 'index.json', 'index.json.bak', '../uploads/index.json']) {
      await expect(store.delete(id)).rejects.toMatchObject({ code: 'file_not_found' })
    }
    expect(await listTree(store.uploadsDir)).toEqual(['index.json', 'index.json.bak', file.id].sort())
    expect((await createFileStore({ dataDir }).list()).map((f) => f.id)).toEqual([file.id])
  })
})
