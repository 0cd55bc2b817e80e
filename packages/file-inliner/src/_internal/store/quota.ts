import { FileInlinerError } from '../../errors'
import type { FileStoreUsage } from '../../types'
import type { StoreState } from './state'

/**
 * The quota held by one upload in flight. Bytes are reserved as they arrive and either become
 * committed (the upload was stored) or are released (it failed). Both are idempotent.
 */
export interface Reservation {
  /** Bytes reserved so far. */
  readonly bytes: number
  /**
   * Reserves `size` more bytes, or throws `upload_too_large` / `upload_quota_exceeded`. The check
   * and the increment run in one synchronous step, so concurrent uploads can never together go
   * over the quota.
   */
  grow(size: number): void
  /** Moves the reserved bytes to the stored total. */
  commit(): void
  /** Gives the reserved bytes back. */
  release(): void
}

export function reserveUpload(state: StoreState): Reservation {
  let bytes = 0
  return {
    get bytes(): number {
      return bytes
    },
    grow(size) {
      if (bytes + size > state.maxUploadBytes) {
        throw new FileInlinerError({
          code: 'upload_too_large',
          status: 413,
          message: `Uploaded file exceeds the configured AIRelays upload limit of ${state.maxUploadBytes} bytes.`,
        })
      }
      if (state.committedBytes + state.reservedBytes + size > state.maxTotalUploadBytes) {
        throw new FileInlinerError({
          code: 'upload_quota_exceeded',
          status: 413,
          message: `Stored uploads would exceed the configured AIRelays upload quota of ${state.maxTotalUploadBytes} bytes.`,
        })
      }
      state.reservedBytes += size
      bytes += size
    },
    commit() {
      state.committedBytes += bytes
      state.reservedBytes -= bytes
      bytes = 0
    },
    release() {
      state.reservedBytes -= bytes
      bytes = 0
    },
  }
}

/** Frees the quota of a stored file that was removed from the index. */
export function releaseStored(state: StoreState, bytes: number): void {
  state.committedBytes -= bytes
}

/** Recomputes the stored total from the index (after recovery replaced it). */
export function recountStored(state: StoreState): void {
  let total = 0
  for (const entry of state.entries.values()) total += entry.bytes
  state.committedBytes = total
}

export function usageOf(state: StoreState): FileStoreUsage {
  return { file_count: state.entries.size, total_bytes: state.committedBytes }
}
