import { randomBytes } from 'node:crypto'

/** `<prefix>_<32 lower-case hex>` from 16 CSPRNG bytes. */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`
}
