// Settings for commands that run once and exit (`status`), never for `serve`.

/**
 * Whether the environment names an HTTP(S) proxy: the only case in which a client with
 * `transport: 'node'` loads undici (it falls back to undici behind a proxy). A superset of
 * upstream-client's own test, so it never answers false where undici is loaded.
 */
function proxyInEnvironment(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.http_proxy || env.HTTP_PROXY || env.https_proxy || env.HTTPS_PROXY)
}

/**
 * Compile WebAssembly with V8's baseline compiler (Liftoff) only. undici parses HTTP with a
 * WebAssembly llhttp; by default V8 also optimises it in a background thread, and the process
 * waits for that thread before it exits (about 150 ms on two cores) to parse a single response.
 * Process-wide and irreversible: call it only in a command that makes a few HTTP calls and exits,
 * before undici is loaded. Without a proxy in `env` such a command does not load undici, so
 * nothing is set and `node:v8` (about 4 ms to load) is not loaded either.
 */
export async function preferQuickWasm(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!proxyInEnvironment(env)) return
  const { setFlagsFromString } = await import('node:v8')
  setFlagsFromString('--liftoff-only')
}
