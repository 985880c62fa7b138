// The Content-Security-Policy the app ships with: its own scripts and nothing else, so a name or a
// label that somehow reached the DOM as markup could still not run. Network reads stay open to any
// http(s) origin, because the buckets, lists and model hubs are the user's to choose.

import type { Plugin } from 'vite';

const DIRECTIVES: Readonly<Record<string, string>> = Object.freeze({
  'default-src': "'self'",
  // ONNX Runtime compiles WebAssembly; no eval, no inline script.
  'script-src': "'self' 'wasm-unsafe-eval'",
  // ONNX Runtime's WASM threads may start from a blob: URL.
  'worker-src': "'self' blob:",
  'connect-src': "'self' https: http: blob: data:",
  // Thumbnails and downloads are blob: URLs; the confusion matrix is a canvas.
  'img-src': "'self' blob: data:",
  'style-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'manifest-src': "'self'",
});

/** As a <meta> tag allows it (frame-ancestors only works as a header). */
export const CONTENT_SECURITY_POLICY = Object.entries(DIRECTIVES).map(([name, value]) => `${name} ${value}`).join('; ');

/** As a header, where the server can send one: no page may frame the app either. */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

/**
 * The inference worker's own policy (a dedicated worker is held to the policy its script was sent
 * with, not the page's): the same, and eval besides, because ONNX Runtime's WebAssembly glue builds
 * small functions with `new Function` when it opens a WebNN session. The worker runs no markup and
 * reads only the model's files and the tensors the page hands it; the page keeps the strict policy.
 */
export const INFER_WORKER_CSP_HEADER = CONTENT_SECURITY_POLICY_HEADER.replace("script-src 'self' 'wasm-unsafe-eval'", "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'");

/** The policy a built file is served with: the inference worker's script gets its own. */
export function cspHeaderFor(pathname: string): string {
  return /^\/assets\/infer\.worker-[\w-]+\.js$/.test(pathname) ? INFER_WORKER_CSP_HEADER : CONTENT_SECURITY_POLICY_HEADER;
}

/**
 * The policy as a <meta> tag in the built index.html, so that it holds on any static host. Only
 * in the build: the dev server injects styles inline for hot reloading.
 */
export function cspMeta(): Plugin {
  return {
    name: 'tench-csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}
