import { describe, expect, it } from 'vitest'
import * as api from './index'
import { FileInlinerError, isFileInlinerError } from './index'

describe('@airelays/file-inliner public surface', () => {
  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "FileInlinerError",
        "createFileStore",
        "detectKind",
        "expandFileReferences",
        "isFileInlinerError",
      ]
    `)
  })

  it('FileInlinerError carries code, status, message and param; the guard uses a brand', () => {
    const error = new FileInlinerError({ code: 'file_unknown', status: 422, message: 'm', param: 'input[0]' })
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({
      name: 'FileInlinerError',
      code: 'file_unknown',
      status: 422,
      message: 'm',
      param: 'input[0]',
    })
    expect(new FileInlinerError({ code: 'storage_error', status: 500, message: 'x' }).param).toBeNull()
    expect(isFileInlinerError(error)).toBe(true)
    // An error from another copy of the package is recognised by its brand, a look-alike is not.
    const foreign = Object.assign(new Error('m'), { code: 'file_unknown' })
    Object.defineProperty(foreign, Symbol.for('@airelays/file-inliner.error'), { value: true })
    expect(isFileInlinerError(foreign)).toBe(true)
    expect(isFileInlinerError(Object.assign(new Error('m'), { code: 'file_unknown', status: 422 }))).toBe(
      false,
    )
    expect(isFileInlinerError(null)).toBe(false)
    expect(isFileInlinerError('file_unknown')).toBe(false)
  })
})
