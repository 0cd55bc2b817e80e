// Settings for commands that run once and exit (`status`), never for `serve`.
import { setFlagsFromString } from 'node:v8'

/**
 * Compile WebAssembly with V8's baseline compiler (Liftoff) only. undici parses HTTP with a
 * WebAssembly llhttp; by default V8 also optimises it in a background thread, and the process
 * waits for that thread before it exits (about 150 ms on two cores) to parse a single response.
 * Process-wide and irreversible: call it only in a command that makes a few HTTP calls and exits,
 * before undici is loaded.
 */
export function preferQuickWasm(): void {
  setFlagsFromString('--liftoff-only')
}
