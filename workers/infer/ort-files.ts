// ONNX Runtime's wasm builds, served by the app itself: transformers.js would fetch them from a
// CDN, which offline use, the PWA and closed networks cannot reach. WebGPU needs the asyncify
// build (27 MB), which carries both execution providers; the CPU alone runs on the plain build
// (14 MB), which compiles in half the time and runs small models about a fifth faster, as the
// asyncify instrumentation of every function is left out. WebNN needs the asyncify build too:
// the plain build has no WebNN execution provider.

import asyncifyMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import asyncifyWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import plainMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import plainWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { Device } from './api.ts';

export function ortWasmPaths(device: Device, base: string = self.location.href): { mjs: string; wasm: string } {
  const [mjs, wasm] = device === 'webgpu' || device === 'webnn' ? [asyncifyMjs, asyncifyWasm] : [plainMjs, plainWasm];
  return { mjs: new URL(mjs, base).href, wasm: new URL(wasm, base).href };
}
