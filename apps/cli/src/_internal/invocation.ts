// What the user typed to run airelays, so hints print a command they can type again: `npx airelays
// login` after `npx airelays status`, `pnpm airelays login` in this repository, `airelays login`
// for a global install. npm and pnpm describe the launch in the environment of the process.

/** The environment variables the detection reads. */
export type InvocationEnv = Readonly<Record<string, string | undefined>>

/** The command prefix to print in hints: `npx airelays`, `pnpm exec airelays`, `pnpm airelays`… */
export function invokedAs(env: InvocationEnv): string {
  const agent = env.npm_config_user_agent ?? ''
  const pnpm = agent.startsWith('pnpm/')
  // `npx airelays` and `npm exec airelays` (npm runs them as the "npx" lifecycle event).
  if (env.npm_lifecycle_event === 'npx') return 'npx airelays'
  if (pnpm && env.npm_command === 'dlx') return 'pnpm dlx airelays'
  if (pnpm && env.npm_command === 'exec') return 'pnpm exec airelays'
  // A package.json script named "airelays" (this repository's `pnpm airelays …`).
  if (env.npm_lifecycle_event === 'airelays') return pnpm ? 'pnpm airelays' : 'npm run airelays --'
  // `pnpm airelays` without such a script runs the bin directly.
  if (pnpm && env.npm_command === 'run-script' && !env.npm_lifecycle_event) return 'pnpm airelays'
  return 'airelays'
}

const COMMAND =
  /(^|[\s`'"(])airelays(?= (?:init|login|logout|serve|status|token|doctor|models|demo|--help|--version)\b)/g

/** `text` with every `airelays <command>` mention written with `prefix` instead. */
export function withCommandPrefix(text: string, prefix: string): string {
  if (prefix === 'airelays') return text
  return text.replace(COMMAND, (_match, before: string) => `${before}${prefix}`)
}
