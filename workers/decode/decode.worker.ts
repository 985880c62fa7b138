// Decode worker: fetch -> decode -> preprocess, one item per call, several calls in flight.

import { expose, transfer } from 'comlink';
import { failure } from '../shared/results.ts';
import type { DecodeApi, DecodeSettings, Prepared } from './api.ts';
import { decodeRgb } from './decode.ts';
import { fetchBytes } from './fetch.ts';
import { normalizationTable, toTensor } from './preprocess.ts';

let settings: DecodeSettings | null = null;
let table: Float32Array | null = null;

const api = {
  configure(next) {
    settings = next;
    table = normalizationTable(next.preprocess);
  },

  async prepare(source) {
    if (!settings || !table) throw new Error('decode worker used before configure()');
    const started = performance.now();
    const fetched = await fetchBytes(source, settings.maxBytes, settings.s3);
    const fetchMs = performance.now() - started;
    if (!fetched.ok) {
      const cause = fetched.tooLarge ? 'too_large' : 'fetch_failed';
      return { ...failure(cause, fetched.reason), fetchMs, decodeMs: 0, bytes: 0 } satisfies Prepared;
    }
    const bytes = fetched.bytes.byteLength;
    const decoded = await decodeRgb(fetched.bytes, settings);
    if (!decoded.ok) {
      const cause = decoded.tooLarge ? 'too_large' : 'decode_failed';
      return { ...failure(cause, decoded.reason), fetchMs, decodeMs: performance.now() - started - fetchMs, bytes };
    }
    const tensor = toTensor(decoded.rgb, decoded.width, decoded.height, settings.preprocess, table);
    const result: Prepared = {
      ok: true,
      tensor,
      width: decoded.width,
      height: decoded.height,
      fetchMs,
      decodeMs: performance.now() - started - fetchMs,
      bytes,
    };
    return transfer(result, [tensor.buffer]);
  },
} satisfies DecodeApi;

expose(api);
