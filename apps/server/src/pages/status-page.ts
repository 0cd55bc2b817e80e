import { type HTTPResponse, html, type RawHTML, raw } from 'h3'

/** What the public landing page shows. Nothing secret: no token, no e-mail, no account id. */
export interface StatusPageInfo {
  version: string
  baseUrl: string
  upstreamReady: boolean
  upstreamAuthenticated: boolean
  requireBearerAuth: boolean
  relayTokenConfigured: boolean
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function chip(ok: boolean, yes: string, no: string): RawHTML {
  return raw(`<span class="chip ${ok ? 'ok' : 'bad'}">${escapeHtml(ok ? yes : no)}</span>`)
}

/** The small HTML status page served at `GET /`. */
export function renderStatusPage(info: StatusPageInfo): HTTPResponse {
  const api = `${info.baseUrl}/v1`
  const login = info.upstreamReady
    ? chip(true, 'ChatGPT login: ready', '')
    : chip(false, '', info.upstreamAuthenticated ? 'ChatGPT login: not ready' : 'ChatGPT login: missing')
  const auth = info.requireBearerAuth
    ? chip(info.relayTokenConfigured, 'Relay token: required', 'Relay token: missing')
    : chip(true, 'Access mode: open (no relay token)', '')
  const keyLine = info.requireBearerAuth
    ? 'OPENAI_API_KEY="$(airelays token show)"   # the relay token, never your OpenAI key'
    : 'OPENAI_API_KEY=anything   # open mode: any non-empty placeholder works'
  const hint = info.upstreamReady
    ? raw('')
    : raw(
        '<p class="hint">Run <code>airelays login</code> (or <code>airelays login --device</code> on a headless machine) to sign in.</p>',
      )
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AIRelays ${info.version}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}code,pre{font-family:ui-monospace,monospace;background:#f2f4f7;border-radius:4px}
pre{padding:.75rem;overflow:auto}code{padding:0 .25rem}
.chip{display:inline-block;margin:0 .4rem .4rem 0;padding:.15rem .6rem;border-radius:999px;font-size:.85rem}
.ok{background:#dcf5e3;color:#14532d}.bad{background:#fde2e1;color:#7f1d1d}.hint{color:#57606a}
</style>
</head>
<body>
<h1>AIRelays ${info.version}</h1>
<p>A local OpenAI-compatible relay backed by a ChatGPT subscription login.</p>
<p>${login}${auth}</p>
${hint}
<h2>Point a client at it</h2>
<pre>OPENAI_BASE_URL=${api}
${keyLine}</pre>
<p>Models: <code>GET ${api}/models</code> · Health: <code>GET ${info.baseUrl}/healthz</code></p>
</body>
</html>
`
}
