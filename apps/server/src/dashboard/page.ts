/** What the dashboard shell needs: nothing secret (no token, no e-mail, no account id). */
export interface DashboardShellInfo {
  /** The mount prefix of the relay (`''` standalone). */
  basePath: string
  /** Whether `/v1` needs the relay token (the page then asks for it). */
  requireToken: boolean
  version: string
  /** Content hashes of the script and style sheet, for cache-busting asset URLs. */
  scriptHash: string
  styleHash: string
}

/**
 * The Content-Security-Policy of the dashboard: its own script and style sheet only, requests to
 * its own origin only, no frames, no forms, no inline code.
 */
export const DASHBOARD_CSP: string = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Headers of every dashboard response (shell and assets). */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** The HTML shell served at `GET /`: an empty page that loads the client app. */
export function renderDashboardShell(info: DashboardShellInfo): string {
  const base = escapeHtml(info.basePath)
  return `<!doctype html>
<html lang="en" data-base="${base}" data-auth="${info.requireToken ? 'token' : 'open'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>AIRelays ${escapeHtml(info.version)}</title>
<link rel="stylesheet" href="${base}/dashboard/app.css?v=${info.styleHash}">
<script src="${base}/dashboard/app.js?v=${info.scriptHash}" defer></script>
</head>
<body>
<div id="app"><noscript><p>The AIRelays dashboard needs JavaScript. The API is at <code>${base}/v1</code>.</p></noscript></div>
</body>
</html>
`
}
