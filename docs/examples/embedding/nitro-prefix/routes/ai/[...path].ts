// Nitro v3: the relay under /ai (clients use http://host/ai/v1). withBase strips the prefix and
// hands the same event to the relay, so the client address and the request body stay intact.
import { withBase } from 'h3'
import { relay } from '../../relay'

export default withBase('/ai', relay.handler)
