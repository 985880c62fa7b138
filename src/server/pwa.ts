// The installable, offline app: a web app manifest and a Workbox service worker that precaches
// the app shell and ONNX Runtime, and keeps models and the sample images once they were used.

import type { PluginOption } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * transformers.js keeps the model files it downloads in this Cache Storage cache (its
 * `env.cacheKey`, keyed by URL). The service worker writes model files into the same cache, so a
 * model is stored once, whichever of the two fetched it first, and the page's own reads of
 * config.json find what the workers stored.
 */
const MODEL_CACHE = 'transformers-cache';

/** ORT's CPU build is about 14 MB; Workbox's default cap (2 MiB) would leave it out. */
const MAX_PRECACHED_BYTES = 48 * 1024 * 1024;

/** ONNX Runtime's WebGPU build, as Vite names it in assets/ (workers/infer/ort-files.ts). */
const ORT_WEBGPU_BUILD = 'ort-wasm-simd-threaded.asyncify';

export function pwa(): PluginOption {
  return VitePWA({
    // A new version waits for the user's Reload (src/ui/update-prompt.ts): taking over by itself
    // would reload the page under a run.
    registerType: 'prompt',
    // Workbox's production build whatever NODE_ENV the building process has (tests set 'test'),
    // so the CLI, the tests and `npm run build` ship the same service worker.
    mode: 'production',
    injectRegister: false,
    // The CLI's server answers only requests that carry its key's cookie, and a manifest link
    // sends cookies only when asked to.
    useCredentials: true,
    includeAssets: ['favicon.svg'],
    manifest: {
      name: 'tench',
      short_name: 'tench',
      description: 'Classify every image of a dataset with a Vision Transformer, on your own GPU, in the browser.',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      theme_color: '#24588f',
      background_color: '#fbfbfa',
      icons: [
        { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
        { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
        { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
      ],
    },
    workbox: {
      // ONNX Runtime's CPU build (.wasm and its .mjs loader) is precached with the shell: no model
      // runs without it. The manifest, its icons and the favicon are added by the plugin.
      globPatterns: ['**/*.{html,js,mjs,css,wasm}'],
      // Models and samples are big or optional, and so is ORT's WebGPU build (27 MB, only for a
      // GPU): kept when first used, below, not on install.
      globIgnores: ['models/**', 'samples/**', `assets/${ORT_WEBGPU_BUILD}*`],
      maximumFileSizeToCacheInBytes: MAX_PRECACHED_BYTES,
      // The first visit is controlled as soon as the worker activates, so a model used on that
      // visit is already kept. An update still waits for the prompt (no skipWaiting).
      clientsClaim: true,
      // Only the app's own page falls back to the precached index.html; /data/ and /models/
      // navigations must reach the server (and be 404s there when missing).
      navigateFallback: 'index.html',
      navigateFallbackAllowlist: [/^\/(?:index\.html)?(?:\?.*)?$/],
      cleanupOutdatedCaches: true,
      runtimeCaching: [
        {
          // The bundled model, and a model's files from the Hub or a mirror in its layout
          // (<org>/<name>/resolve/<revision>/, its JSON files and ONNX weights).
          // A folder the CLI serves under /models/tench-local/ is the user's own and may change
          // between runs: the service worker leaves it alone.
          urlPattern: ({ url, sameOrigin }) => sameOrigin
            ? url.pathname.startsWith('/models/') && !url.pathname.startsWith('/models/tench-local/')
            : /^\/[^/]+\/[^/]+\/resolve\/[^/]+\/(onnx\/[^/]+\.onnx(_data)?|[^/]+\.json)$/.test(url.pathname),
          handler: 'CacheFirst',
          options: { cacheName: MODEL_CACHE },
        },
        {
          // Written out: Workbox copies this function's text into the service worker, without
          // the constants around it.
          urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.startsWith('/assets/ort-wasm-simd-threaded.asyncify'),
          handler: 'CacheFirst',
          options: { cacheName: 'tench-webgpu-runtime' },
        },
        {
          urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.startsWith('/samples/'),
          handler: 'CacheFirst',
          options: { cacheName: 'tench-samples' },
        },
      ],
    },
  });
}
