// What differs between the page, a worker and Node for code that runs in all of them: asked of
// globalThis, so that such code type-checks in each realm without the others' declarations.

/** The page's (or worker's) origin; null in Node, where there is no location. */
export function pageOrigin(): string | null {
  return (globalThis as { location?: { origin?: string } }).location?.origin ?? null;
}

/** The part of the Cache API a module that also runs in Node may use where it exists. */
export interface ResponseCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

/** A named Cache Storage cache; null in Node, or where the browser refuses one. */
export async function openCache(name: string): Promise<ResponseCache | null> {
  const caches = (globalThis as { caches?: { open(name: string): Promise<ResponseCache> } }).caches;
  return caches ? caches.open(name).catch(() => null) : null;
}
