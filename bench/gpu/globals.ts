// What a browser worker gives workers/infer/session.ts and Node does not: navigator.gpu (from
// Dawn's Node binding), self.location, a Cache Storage and fetch() of file: URLs. Installed before
// transformers.js is evaluated, since it reads navigator.gpu once, when it loads.

import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What Dawn gave: an adapter's description, or why there is none. */
export type GpuProbe = { ok: true; adapter: string; fallback: boolean } | { ok: false; reason: string };

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}

/**
 * Loads Dawn (dawn.node, found beside this bundle as the `webgpu` package lays it out), makes
 * navigator.gpu, and asks it for the adapter ONNX Runtime will ask for. Dawn writes why it found
 * none to the process's stderr, out of JavaScript's reach: run.py reads it from there.
 */
export async function installGpu(): Promise<GpuProbe> {
  let gpu: GPU;
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    gpu = create([]);
  } catch (error) {
    return { ok: false, reason: `Dawn's Node binding did not load: ${firstLine(error)}` };
  }
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { ok: false, reason: `Dawn's requestAdapter failed: ${firstLine(error)}` };
  }
  if (!adapter) return { ok: false, reason: 'Dawn found no WebGPU adapter' };
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  return { ok: true, adapter: name || 'an unnamed adapter', fallback: info.isFallbackAdapter ?? false };
}

/** A Cache Storage that keeps nothing: Node has none, and each file is read once per run. */
const noCaches = {
  async open() {
    return { match: async () => undefined, put: async () => undefined };
  },
  async has() {
    return false;
  },
  async delete() {
    return false;
  },
  async keys() {
    return [];
  },
  async match() {
    return undefined;
  },
};

/** Node's fetch() has no file: scheme; the model's files are local, so read them from disk. */
export function fetchWithFiles(real: typeof fetch): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith('file:')) return real(input, init);
    try {
      const body = await readFile(fileURLToPath(url));
      return new Response(body, { status: 200, headers: { 'content-length': String(body.byteLength) } });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Response(null, { status: 404, statusText: 'Not Found' });
      throw error;
    }
  };
}

/**
 * `base`: the folder that stands for the page's location (ONNX Runtime's files resolve from it).
 * `self` is an object of its own, not globalThis: ONNX Runtime reads the bare `location` too, and
 * with one set it resolves its own file: URL against an origin and fails (a file: URL's origin is
 * the string "null").
 */
export function installWorkerGlobals(base: string): void {
  const href = pathToFileURL(base.endsWith('/') ? base : `${base}/`).href;
  const global = globalThis as unknown as Record<string, unknown>;
  global.self = { location: { href, origin: 'file://' }, caches: noCaches };
  global.caches = noCaches;
  globalThis.fetch = fetchWithFiles(globalThis.fetch.bind(globalThis));
}
