// Preprocessing throughput in one worker: tench's path (decode as Pillow, Pillow-exact resize,
// normalize) against transformers.js's AutoProcessor, on the same encoded images.

import { AutoProcessor, RawImage, env } from '@huggingface/transformers';
import { decodeRgb } from '../workers/decode/decode.ts';
import { normalizationTable, toTensor } from '../workers/decode/preprocess.ts';
import { parsePreprocessor } from '../src/model/preprocessor.ts';

/** A set of images: files as they are, or photos re-encoded as JPEG at one size. */
export type ImageSet = { name: string; urls: string[] } | { name: string; photos: string[]; width: number; height: number; count: number };

export interface PreprocessResult {
  name: string;
  images: number;
  meanPixels: number;
  tench: number;
  transformers: number;
  /** Share of tench's time spent after decoding: resize, crop, normalize. */
  tenchTensorShare: number;
}

async function load(set: ImageSet): Promise<Array<Uint8Array<ArrayBuffer>>> {
  const fetchBytes = async (u: string) => new Uint8Array(await (await fetch(u)).arrayBuffer());
  if ('urls' in set) return Promise.all(set.urls.map(fetchBytes));
  const sources = await Promise.all(set.photos.map(async (u) => createImageBitmap(new Blob([await fetchBytes(u)]))));
  const out: Array<Uint8Array<ArrayBuffer>> = [];
  for (let i = 0; i < set.count; i++) {
    const canvas = new OffscreenCanvas(set.width, set.height);
    const ctx = canvas.getContext('2d')!;
    const src = sources[i % sources.length]!;
    // A different crop of the photo each time, so the encoder does not see the same image twice.
    const s = 0.6 + 0.4 * ((i * 7) % 10) / 10;
    ctx.drawImage(src, 0, 0, src.width * s, src.height * s, 0, 0, set.width, set.height);
    out.push(new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer()));
  }
  return out;
}

self.onmessage = async (event: MessageEvent<{ sets: ImageSet[]; model: string; modelBase: string; rounds: number }>) => {
  const { sets, model, modelBase, rounds } = event.data;
  try {
    const config = await (await fetch(`${modelBase}${model}/preprocessor_config.json`)).json();
    const spec = parsePreprocessor(config);
    if (!spec.ok) throw new Error(spec.reason);
    const table = normalizationTable(spec.value);
    const limits = { maxPixels: 1e9, fullDecodePixels: 24e6, applyExifOrientation: false };
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = modelBase;
    const processor = await AutoProcessor.from_pretrained(model);

    const results: PreprocessResult[] = [];
    for (const set of sets) {
      const bytes = await load(set);
      let pixels = 0;
      let tensorMs = 0;
      const tench = async () => {
        for (const b of bytes) {
          const d = await decodeRgb(b, limits);
          if (!d.ok) throw new Error(d.reason);
          pixels += d.width * d.height;
          const t0 = performance.now();
          toTensor(d, spec.value, table);
          tensorMs += performance.now() - t0;
        }
      };
      const hf = async () => {
        for (const b of bytes) await processor(await RawImage.fromBlob(new Blob([b])));
      };
      // One warm-up pass each, then alternate so that neither always runs on a warmer machine.
      await tench();
      await hf();
      pixels = 0;
      tensorMs = 0;
      let tenchMs = 0;
      let hfMs = 0;
      for (let r = 0; r < rounds; r++) {
        const order: Array<[() => Promise<void>, boolean]> = r % 2 ? [[hf, true], [tench, false]] : [[tench, false], [hf, true]];
        for (const [run, isHf] of order) {
          const t0 = performance.now();
          await run();
          if (isHf) hfMs += performance.now() - t0;
          else tenchMs += performance.now() - t0;
        }
      }
      const n = bytes.length * rounds;
      results.push({
        name: set.name,
        images: bytes.length,
        meanPixels: pixels / n,
        tench: (n * 1000) / tenchMs,
        transformers: (n * 1000) / hfMs,
        tenchTensorShare: tensorMs / tenchMs,
      });
    }
    self.postMessage({ ok: true, result: results });
  } catch (error) {
    self.postMessage({ ok: false, reason: error instanceof Error ? error.message : String(error) });
  }
};
