/** One SSE frame as received, with its arrival time (epoch ms). */
export interface TimedFrame {
  text: string
  at: number
}

/**
 * Read an SSE body frame by frame (split on blank lines) with arrival times. `onFrame` may return
 * `false` to stop reading (the reader is cancelled). A read error ends the loop and is returned.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onFrame?: (frame: TimedFrame, index: number) => boolean | undefined,
): Promise<{ frames: TimedFrame[]; error: unknown }> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const frames: TimedFrame[] = []
  let buffer = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      for (;;) {
        const end = buffer.indexOf('\n\n')
        if (end < 0) break
        const text = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const frame = { text, at: Date.now() }
        frames.push(frame)
        if (onFrame?.(frame, frames.length - 1) === false) {
          await reader.cancel().catch(() => {})
          return { frames, error: null }
        }
      }
    }
    if (buffer.trim() !== '') frames.push({ text: buffer, at: Date.now() })
    return { frames, error: null }
  } catch (error) {
    return { frames, error }
  }
}

/** Read an SSE response body to the end and split it into frames (blank frames dropped). */
export async function readFrames(response: Response): Promise<string[]> {
  const text = await response.text()
  return text.split('\n\n').filter((frame) => frame.trim() !== '')
}

/** The JSON payload of a `data:` frame (null for comments, `[DONE]` or non-JSON). */
export function frameData(frame: string): unknown {
  const data = frame
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trimStart())
    .join('\n')
  if (data === '' || data === '[DONE]') return null
  try {
    return JSON.parse(data)
  } catch {
    return null
  }
}
