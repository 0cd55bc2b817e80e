/** A promise-chain mutex: `run` executes tasks one at a time, in call order. */
export interface Mutex {
  run<T>(task: () => Promise<T>): Promise<T>
}

export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve()
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      const result = tail.then(task, task)
      tail = result.then(
        () => undefined,
        () => undefined,
      )
      return result
    },
  }
}
