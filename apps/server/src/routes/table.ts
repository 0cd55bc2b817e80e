/** The relay's own route list, used to answer 405 (with `Allow`) instead of 404 on a known path. */
export class RouteTable {
  readonly #routes: { method: string; pattern: RegExp }[] = []

  /** Remember `method` on an h3 route pattern (`/v1/files/:id`). */
  add(method: string, route: string): void {
    const source = route
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')
    this.#routes.push({ method, pattern: new RegExp(`^${source}/?$`) })
  }

  /** Methods registered for `path` (empty when the path is unknown). */
  methodsFor(path: string): string[] {
    const methods = new Set<string>()
    for (const route of this.#routes) if (route.pattern.test(path)) methods.add(route.method)
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods]
  }
}
