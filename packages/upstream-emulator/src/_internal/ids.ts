import { createHash, randomBytes } from 'node:crypto'

export function b64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url')
}

export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url')
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

/** Current time in epoch seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
