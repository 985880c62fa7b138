/**
 * Cross-origin isolation: SharedArrayBuffer and so WASM threads. Every response carries these;
 * resources from other origins must then answer CORS requests (the Hub and S3 with a CORS rule do).
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
});
