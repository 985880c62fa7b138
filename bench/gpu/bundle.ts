// The Node bundle of bench/gpu/entry.ts: tench's inference worker code with transformers.js's
// browser build (the one the app ships, which runs ONNX Runtime Web), not its Node build (which
// runs onnxruntime-node and would measure another engine).

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const require = createRequire(import.meta.url);

/** The ONNX Runtime files the bundle loads, relative to the bundle (ort/ beside it). */
export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'] as const;

/** transformers.js's test for Node; false makes it take the path it takes in a browser worker. */
export const NODE_TEST = 'var IS_NODE_ENV = IS_PROCESS_AVAILABLE && process?.release?.name === "node" && !IS_DENO_WEB_RUNTIME;';

function browserTransformers(): Plugin {
  const web = join(dirname(require.resolve('@huggingface/transformers')), 'transformers.web.js');
  return {
    name: 'transformers-web',
    setup(b) {
      b.onResolve({ filter: /^@huggingface\/transformers$/ }, () => ({ path: web }));
      b.onLoad({ filter: /transformers\.web\.js$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes(NODE_TEST)) {
          throw new Error(`${args.path} no longer tests for Node as bench/gpu/bundle.ts expects; update NODE_TEST`);
        }
        return { contents: text.replace(NODE_TEST, 'var IS_NODE_ENV = false;'), loader: 'js' };
      });
    },
  };
}

/**
 * workers/infer/ort-files.ts imports ONNX Runtime's files as Vite asset URLs. Here every one of
 * them is the asyncify build in ort/, which runs both the WebGPU and the CPU (WASM) providers:
 * only that build travels to the GPU machine.
 */
function ortAssetUrls(): Plugin {
  return {
    name: 'ort-asset-urls',
    setup(b) {
      b.onResolve({ filter: /^onnxruntime-web\/ort-wasm-simd-threaded.*\?url$/ }, (args) => ({ path: args.path, namespace: 'ort-url' }));
      b.onLoad({ filter: /.*/, namespace: 'ort-url' }, (args) => {
        const file = args.path.endsWith('.wasm?url') ? ORT_FILES[1] : ORT_FILES[0];
        return { contents: `export default ${JSON.stringify(`./ort/${file}`)};`, loader: 'js' };
      });
    },
  };
}

/** Writes `outfile` (one ES module); returns its size in bytes. */
export async function bundleEntry(entry: string, outfile: string): Promise<number> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
    metafile: true,
    // Some of the bundled CommonJS code calls require() for Node's own modules.
    banner: { js: "import { createRequire as __tenchRequire } from 'node:module'; const require = __tenchRequire(import.meta.url);" },
    plugins: [browserTransformers(), ortAssetUrls()],
  });
  return Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}
