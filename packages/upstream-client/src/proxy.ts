/** Proxy settings overriding HTTP_PROXY / HTTPS_PROXY / NO_PROXY for one client or login. */
export interface ProxySettings {
  /** Proxy for `http:` URLs. @default process.env.http_proxy ?? process.env.HTTP_PROXY */
  httpProxy?: string
  /** Proxy for `https:` URLs. @default process.env.https_proxy ?? process.env.HTTPS_PROXY, else `httpProxy` */
  httpsProxy?: string
  /** Hosts that bypass the proxy (comma or space separated). @default process.env.no_proxy ?? process.env.NO_PROXY */
  noProxy?: string
}
