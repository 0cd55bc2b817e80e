import { defineConfig } from 'nitro'

export default defineConfig({
  // The OS keychain addon of @airelays/auth-store is native: copy the whole package and its
  // platform binary into .output instead of bundling it.
  traceDeps: ['@napi-rs/keyring*'],
})
