// Decode worker: encoded bytes -> pixels as Pillow reads them -> the model's input tensor and the
// gallery's thumbnail (prepare.ts).

import { expose, transfer } from 'comlink';
import type { DecodeApi, DecodeSettings } from './api.ts';
import { kernels } from './kernels/load.ts';
import { prepareImage } from './prepare.ts';
import { normalizationTable } from './preprocess.ts';

let settings: DecodeSettings | null = null;
let table: Float32Array | null = null;

const api = {
  configure(next) {
    settings = next;
    table = normalizationTable(next.preprocess);
    // Compiled while the first bytes are on their way.
    void kernels().catch(() => {});
  },

  async prepare(bytes, into) {
    if (!settings || !table) throw new Error('decode worker used before configure()');
    const result = await prepareImage(bytes, settings, table, kernels, into);
    if (!result.ok) return result;
    return transfer(result, result.thumb ? [result.tensor.buffer, result.thumb.buffer] : [result.tensor.buffer]);
  },
} satisfies DecodeApi;

expose(api);
