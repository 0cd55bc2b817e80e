import type { EmulatorState } from '../state'
import type { EmulatorBehaviour } from '../types'
import { type EndpointRoute, isPreKind, matches, validateBehaviour } from './rules'

/** `script()`: validate and queue copies of the behaviours (throws `emulator_invalid_behaviour`). */
export function script(state: EmulatorState, behaviours: EmulatorBehaviour[]): void {
  const checked = behaviours.map((b, i) => validateBehaviour(b, i))
  state.behaviours.push(...checked.map((b) => structuredClone(b)))
}

/**
 * Take the first queued behaviour matching `route` when it runs in `phase` ('pre': on arrival,
 * before authentication; 'post': shapes a valid answer). A first match of the other phase blocks.
 * Behaviours bound to another account than `accountId` are passed by.
 */
export function takeBehaviour(
  state: EmulatorState,
  route: EndpointRoute,
  phase: 'pre' | 'post',
  accountId?: string,
): EmulatorBehaviour | undefined {
  const queue = state.behaviours
  if (queue.length === 0) return undefined
  const index = queue.findIndex((b) => matches(b, route, accountId))
  if (index === -1) return undefined
  const behaviour = queue[index] as EmulatorBehaviour
  if (isPreKind(behaviour.kind) !== (phase === 'pre')) return undefined
  queue.splice(index, 1)
  return behaviour
}
