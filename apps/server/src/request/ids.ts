import { randomBytes, randomUUID } from 'node:crypto'

/** `<prefix>_<32 lower-case hex>` from 16 CSPRNG bytes. */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`
}

const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

/** The request id: the client's own `x-request-id` when it is short and plain, else `req_<32hex>`. */
export function requestIdFor(clientValue: string | null): string {
  if (clientValue && SANE_REQUEST_ID.test(clientValue)) return clientValue
  // randomUUID draws from a pre-filled entropy cache, cheaper than randomBytes on every request;
  // its 32 hex digits (122 random bits) keep the `req_<32 hex>` shape.
  return `req_${randomUUID().replaceAll('-', '')}`
}
