import { describe, expect, it } from 'vitest'
import { createMemoryStore, type RateLimitClientState } from './store'

function state(lastSeen: number): RateLimitClientState {
  return {
    tokens: 1,
    refilledAt: 0,
    active: 0,
    failures: null,
    blockedUntil: 0,
    lastSeen,
    orderedAt: lastSeen,
  }
}

function keys(store: ReturnType<typeof createMemoryStore>): string[] {
  return [...store.entries()].map(([key]) => key)
}

describe('createMemoryStore', () => {
  it('keeps keys in recency order: set moves a key to the most recent end, get does not', () => {
    const store = createMemoryStore()
    store.set('a', state(1))
    store.set('b', state(2))
    store.set('c', state(3))
    expect(keys(store)).toEqual(['a', 'b', 'c'])
    store.get('a')
    expect(keys(store)).toEqual(['a', 'b', 'c'])
    store.set('a', store.get('a')!)
    expect(keys(store)).toEqual(['b', 'c', 'a'])
    store.set('a', store.get('a')!) // already most recent
    expect(keys(store)).toEqual(['b', 'c', 'a'])
    store.set('b', store.get('b')!)
    expect(keys(store)).toEqual(['c', 'a', 'b'])
    expect(store.size).toBe(3)
  })

  it('replaces the stored object under an existing key', () => {
    const store = createMemoryStore()
    const first = state(1)
    const second = state(2)
    store.set('a', first)
    store.set('a', second)
    expect(store.get('a')).toBe(second)
    expect(store.size).toBe(1)
  })

  it('forgets the most recent key correctly after delete and clear', () => {
    const store = createMemoryStore()
    store.set('a', state(1))
    store.set('b', state(2))
    expect(store.delete('b')).toBe(true)
    expect(store.delete('b')).toBe(false)
    store.set('b', state(3))
    store.set('a', store.get('a')!)
    expect(keys(store)).toEqual(['b', 'a'])
    store.clear()
    expect(store.size).toBe(0)
    store.set('a', state(4))
    expect(keys(store)).toEqual(['a'])
    expect(store.get('a')?.lastSeen).toBe(4)
  })

  it('tolerates delete and move-to-end of the current key while iterating', () => {
    const store = createMemoryStore()
    for (const key of ['a', 'b', 'c', 'd']) store.set(key, state(0))
    const seen: string[] = []
    for (const [key, value] of store.entries()) {
      seen.push(key)
      if (seen.length > 10) break
      if (key === 'a') store.delete(key)
      if (key === 'b') {
        value.lastSeen = 1
        store.set(key, value)
      }
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'b'])
    expect(keys(store)).toEqual(['c', 'd', 'b'])
  })
})
