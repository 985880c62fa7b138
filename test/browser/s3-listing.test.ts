// A prefix of 12,000 objects in nested folders, most of them not images: listed completely, page
// by page (1,000 keys each), with inference under way before the listing ends.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from 'fast-png';
import type { Progress } from '../../src/pipeline/progress.ts';
import { openApp, TINY_RUN, type OpenApp } from '../helpers/app.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';

const OBJECTS = 12_000;
const IMAGE_EVERY = 10;
const OTHER = ['notes.txt', 'meta.json', 'labels.csv', 'archive.tar', 'README', 'model.onnx', 'clip.mp4', 'x.jpg.txt', 'data.parquet'];

/** Object i: an image every tenth, otherwise one of several kinds of non-image, three levels deep. */
function key(i: number): { key: string; image: boolean } {
  const dir = `val/c${String(i % 12).padStart(2, '0')}/s${i % 7}/`;
  const image = i % IMAGE_EVERY === 0;
  return { key: `${dir}${String(i).padStart(5, '0')}-${image ? (i % 20 === 0 ? 'img.png' : 'img.PNG') : OTHER[i % OTHER.length]}`, image };
}

describe('an S3 prefix of 12,000 objects', () => {
  let s3: S3Server;
  let app: OpenApp;
  const images = Array.from({ length: OBJECTS }, (_, i) => key(i)).filter((k) => k.image).length;

  beforeAll(async () => {
    s3 = await startS3([{ name: 'big', cors: true }]);
    const png = encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).map((_, i) => (i * 37) % 256), channels: 3 });
    const started = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let i = next++; i < OBJECTS; i = next++) {
        const k = key(i);
        await s3.put('big', k.key, k.image ? png : `object ${i}\n`);
      }
    }));
    console.log(`put ${OBJECTS} objects (${images} images) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    app = await openApp({ modelDir: TINY_MODEL });
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await s3?.close();
  });

  it('lists every object across pages, counts images and skipped files, and stores results before the listing ends', async () => {
    const { run, seen } = await app.page.evaluate(async ([settings, endpoint]) => {
      const seen: Array<Pick<Progress, 'done' | 'listed' | 'listingDone' | 'skipped' | 'state'>> = [];
      window.tenchProgress = (p) => seen.push({ done: p.done, listed: p.listed, listingDone: p.listingDone, skipped: p.skipped, state: p.state });
      const run = await window.tench!.run({ ...settings, sessions: 1, batchSize: 8, dataset: { kind: 's3', url: 's3://anonymous@big/val/', endpoint, region: null } });
      return { run, seen };
    }, [TINY_RUN, s3.endpoint] as const);
    expect(run.state, run.error ?? '').toBe('done');
    expect(run.counts).toMatchObject({ listed: images, written: images, ok: images, failed: 0 });
    expect(await app.page.evaluate((id) => window.tench!.count(id), run.id)).toBe(images);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ listingDone: true, listed: images, skipped: OBJECTS - images });
    // Rows were stored while the listing still had pages to go.
    const early = seen.find((p) => p.done > 0 && !p.listingDone);
    console.log(`first stored rows seen with ${early?.listed} of ${images} images listed; ${seen.length} progress reports`);
    expect(early).toBeDefined();
    const rows = await app.page.evaluate((id) => window.tench!.rows(id, -1, 5000), run.id);
    const expected = Array.from({ length: OBJECTS }, (_, i) => key(i)).filter((k) => k.image).map((k) => k.key);
    expect(rows.map((r) => r.path).sort()).toEqual(expected.sort());
  });
});
