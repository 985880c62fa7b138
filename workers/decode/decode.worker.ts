// Decode worker: encoded bytes -> pixels as Pillow reads them -> the model's input tensor.

import { expose, transfer } from 'comlink';
import { failure } from '../shared/results.ts';
import type { DecodeApi, DecodeSettings, Prepared } from './api.ts';
import { decodeRgb } from './decode.ts';
import { normalizationTable, toTensor } from './preprocess.ts';
import { thumbnail } from './thumbnail.ts';

let settings: DecodeSettings | null = null;
let table: Float32Array | null = null;

const api = {
  configure(next) {
    settings = next;
    table = normalizationTable(next.preprocess);
  },

  async prepare(bytes) {
    if (!settings || !table) throw new Error('decode worker used before configure()');
    const started = performance.now();
    const decoded = await decodeRgb(bytes, settings);
    if (!decoded.ok) {
      return { ...failure(decoded.tooLarge ? 'too_large' : 'decode_failed', decoded.reason), decodeMs: performance.now() - started } satisfies Prepared;
    }
    const tensor = toTensor(decoded, settings.preprocess, table);
    // A thumbnail that fails to encode costs the gallery a picture, never the row.
    const thumb = settings.thumbnail > 0 ? await thumbnail(decoded, settings.thumbnail).catch(() => null) : null;
    const result: Prepared = { ok: true, tensor, width: decoded.width, height: decoded.height, decodeMs: performance.now() - started, ...(thumb ? { thumb } : {}) };
    return transfer(result, thumb ? [tensor.buffer, thumb.buffer] : [tensor.buffer]);
  },
} satisfies DecodeApi;

expose(api);
