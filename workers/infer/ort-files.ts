// ONNX Runtime's wasm build, served by the app itself: transformers.js would fetch it from a CDN,
// which offline use, the PWA and closed networks cannot reach. The asyncify build carries both the
// WebGPU and the CPU execution providers.

import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

export function ortWasmPaths(base: string = self.location.href): { mjs: string; wasm: string } {
  return { mjs: new URL(ortMjs, base).href, wasm: new URL(ortWasm, base).href };
}
