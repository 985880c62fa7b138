// The Vite configuration of the app, as a function, so that the CLI builds and serves exactly
// what `npm run build` and `npm run preview` do, plus its own routes.

import type { UserConfig } from 'vite';
import { cspMeta, CONTENT_SECURITY_POLICY_HEADER } from './csp.ts';
import { pwa } from './pwa.ts';
import { ISOLATION_HEADERS } from './isolation.ts';
import { tenchRoutes, type RouteOptions } from './routes.ts';
import { S3_ENDPOINTS_VARIABLE } from './s3-proxy.ts';

export { ISOLATION_HEADERS };

/** The S3-compatible endpoints named in TENCH_S3_ENDPOINTS (comma-separated), for the S3 proxy. */
function endpointsFromEnv(): string[] {
  return (process.env[S3_ENDPOINTS_VARIABLE] ?? '').split(',').map((e) => e.trim()).filter(Boolean);
}

export function appConfig(routes: RouteOptions = { s3Endpoints: endpointsFromEnv() }): UserConfig {
  return {
    // Missing files must be 404s: transformers.js probes optional model files.
    appType: 'mpa',
    server: { headers: { ...ISOLATION_HEADERS } },
    preview: { headers: { ...ISOLATION_HEADERS, 'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER } },
    worker: { format: 'es' },
    // Pre-bundled up front: discovered later (they are imported by workers), they would make the
    // dev server reload the page in the middle of the first run.
    optimizeDeps: { include: ['@huggingface/transformers', '@aws-sdk/client-s3', 'comlink', 'idb'] },
    build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 4096 },
    plugins: [tenchRoutes(routes), pwa(), cspMeta()],
  };
}
