#!/usr/bin/env node
import module from 'node:module'

// Cache compiled bytecode between runs (Node >= 22.1; a no-op where it does not exist).
module.enableCompileCache?.()

await import('../dist/cli.js')
