// Preprocessing in one worker with nothing else running: tench's path (prepare.ts, as the decode
// workers run it) against transformers.js's AutoProcessor, on the same encoded images, with the
// time of each of tench's steps. Set beside Pillow's figure for the same files (bench/native.py).

import { AutoProcessor, RawImage, env } from '@huggingface/transformers';
import type { DecodeSettings, StepTimes } from '../workers/decode/api.ts';
import { kernels } from '../workers/decode/kernels/load.ts';
import { prepareImage } from '../workers/decode/prepare.ts';
import { normalizationTable } from '../workers/decode/preprocess.ts';
import { parsePreprocessor } from '../src/model/preprocessor.ts';

export interface ImageSet {
  name: string;
  urls: string[];
}

export interface PreprocessResult {
  name: string;
  images: number;
  meanPixels: number;
  /** Images per second: tench's preprocessing (decode, resize, normalize), no thumbnail. */
  tench: number;
  transformers: number;
  /** ms per image in each of tench's steps, the thumbnail included (made in a pass of its own). */
  steps: StepTimes;
}

export interface PreprocessTask {
  sets: ImageSet[];
  model: string;
  modelBase: string;
  rounds: number;
  /** Also time transformers.js (slow; a few sets are enough to compare). */
  transformers: boolean;
}

self.onmessage = async (event: MessageEvent<PreprocessTask>) => {
  const { sets, model, modelBase, rounds } = event.data;
  try {
    const config = await (await fetch(`${modelBase}${model}/preprocessor_config.json`)).json();
    const spec = parsePreprocessor(config);
    if (!spec.ok) throw new Error(spec.reason);
    const table = normalizationTable(spec.value);
    const settings = (thumbnail: number): DecodeSettings => ({ preprocess: spec.value, maxPixels: 1e9, fullDecodePixels: 24e6, applyExifOrientation: false, thumbnail });
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = modelBase;
    const processor = event.data.transformers ? await AutoProcessor.from_pretrained(model) : null;

    const results: PreprocessResult[] = [];
    for (const set of sets) {
      // The worker's decoder takes the bytes over (transfer); each pass gets copies made beforehand.
      const files = await Promise.all(set.urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
      let pixels = 0;
      const steps: StepTimes = {};
      const tench = async (thumbnail: number) => {
        const copies = files.map((b) => b.slice());
        // As in a run, the tensor buffer goes round (the sessions hand it back to be filled again).
        let into: Float32Array | undefined;
        const t0 = performance.now();
        for (const b of copies) {
          const p = await prepareImage(b, settings(thumbnail), table, kernels, into);
          if (!p.ok) throw new Error(`${set.name}: ${p.reason}`);
          into = p.tensor;
          if (thumbnail) {
            pixels += p.width * p.height;
            for (const [k, v] of Object.entries(p.steps ?? {})) steps[k as keyof StepTimes] = (steps[k as keyof StepTimes] ?? 0) + v;
          }
        }
        return performance.now() - t0;
      };
      const hf = async () => {
        const t0 = performance.now();
        for (const b of files) await processor!(await RawImage.fromBlob(new Blob([b])));
        return performance.now() - t0;
      };
      // One warm-up pass each, then alternate so that neither always runs on a warmer machine.
      await tench(0);
      if (processor) await hf();
      let tenchMs = 0;
      let hfMs = 0;
      for (let r = 0; r < rounds; r++) {
        if (processor && r % 2) hfMs += await hf();
        tenchMs += await tench(0);
        if (processor && !(r % 2)) hfMs += await hf();
        await tench(96);
      }
      const n = files.length * rounds;
      results.push({
        name: set.name,
        images: files.length,
        meanPixels: pixels / n,
        tench: (n * 1000) / tenchMs,
        transformers: processor ? (n * 1000) / hfMs : 0,
        steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, v / n])),
      });
    }
    self.postMessage({ ok: true, result: results });
  } catch (error) {
    self.postMessage({ ok: false, reason: error instanceof Error ? error.message : String(error) });
  }
};
