import { describe, expect, it } from 'vitest'
import { describeAuthStore, sampleAuth } from '../_conformance'
import { createMemoryAuthStore } from './memory'

describeAuthStore('memory', () => ({ store: createMemoryAuthStore() }))

describe('createMemoryAuthStore', () => {
  it('keeps separate stores apart', async () => {
    const a = createMemoryAuthStore()
    const b = createMemoryAuthStore()
    await a.set('default', sampleAuth('a'))
    expect(await b.get('default')).toBeNull()
  })

  it('describes itself as process memory', async () => {
    expect(await createMemoryAuthStore().describe()).toEqual({
      mode: 'memory',
      driver: 'memory',
      location: 'memory (this process only)',
      slot: 'default',
      path: null,
      keychain: null,
    })
  })
})
