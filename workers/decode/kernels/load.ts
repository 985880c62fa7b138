// pixels.wasm, compiled once per worker; the instance is made again when an image grew its
// memory past what a photo needs, so that one huge image does not keep its memory for the run.

import wasmUrl from './pixels.wasm?url';
import { instantiateKernels, type Kernels } from './kernels.ts';

/** Past this a worker's pixel memory is given back after the image (a 24-megapixel photo takes ~110 MB). */
const KEEP_BYTES = 64 * 1024 * 1024;

let compiled: Promise<WebAssembly.Module> | null = null;
let current: Kernels | null = null;

function compile(): Promise<WebAssembly.Module> {
  if (!compiled) {
    compiled = WebAssembly.compileStreaming(fetch(new URL(wasmUrl, self.location.href)));
    // A failed fetch is forgotten, so the next image tries again.
    compiled.catch(() => {
      compiled = null;
    });
  }
  return compiled;
}

export async function kernels(): Promise<Kernels> {
  if (current && current.memoryBytes() > KEEP_BYTES) current = null;
  current ??= await instantiateKernels(await compile());
  return current;
}
