// Thinking signatures: Codex's encrypted reasoning, tagged with the upstream model, carried in
// the Anthropic `signature` so a client sends it back on the next turn.

const PREFIX = 'airelays.rs1.'

/** The signature for a reasoning item's `encrypted_content` produced by `model`. */
export function encodeSignature(model: string, encryptedContent: string): string {
  return `${PREFIX}${Buffer.from(model, 'utf8').toString('base64url')}.${encryptedContent}`
}

/**
 * The encrypted content of a relay signature, or null for anything else (an Anthropic
 * signature, a signature of another relay, a malformed one).
 */
export function decodeSignature(signature: unknown): { model: string; encryptedContent: string } | null {
  if (typeof signature !== 'string' || !signature.startsWith(PREFIX)) return null
  const rest = signature.slice(PREFIX.length)
  const dot = rest.indexOf('.')
  if (dot <= 0 || dot === rest.length - 1) return null
  const model = Buffer.from(rest.slice(0, dot), 'base64url').toString('utf8')
  return model === '' ? null : { model, encryptedContent: rest.slice(dot + 1) }
}
