// Photos prepared once by Pillow, as bench/native.py prepares them, and served to the bench page
// as one file of tensors: the benches that compare models or backends then feed every variant the
// same bytes, with no decoding in the measured time.

import { execFileSync } from 'node:child_process';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { serve, type Served } from '../src/cli/server.ts';

export const PIXELS_ROUTE = '/bench/pixels.bin';

/** What ViTImageProcessor does, in Pillow and NumPy as bench/native.py does it; the tensors written one after another. */
const PREPARE = `
import json, sys
import numpy as np
from PIL import Image
c = json.load(open(sys.argv[1]))
size = c['size'] if isinstance(c['size'], dict) else {'height': c['size'], 'width': c['size']}
mean, std = np.array(c.get('image_mean', [0.5] * 3), np.float32), np.array(c.get('image_std', [0.5] * 3), np.float32)
with open(sys.argv[2], 'wb') as out:
    for path in sys.argv[3:]:
        img = Image.open(path).convert('RGB').resize((size['width'], size['height']), c.get('resample', 2))
        x = (np.asarray(img).astype(np.float64) * c.get('rescale_factor', 1 / 255)).astype(np.float32)
        out.write(np.ascontiguousarray(((x - mean) / std).transpose(2, 0, 1), dtype=np.float32).tobytes())
`;

/** The first `photos` JPEGs of the folder, as the model's input, into `out`. */
export function preparePixels(python: string, modelDir: string, photosDir: string, photos: number, out: string): { size: number; count: number } {
  const paths = readdirSync(photosDir).filter((n) => n.endsWith('.jpg')).sort().slice(0, photos).map((n) => join(photosDir, n));
  execFileSync(python, ['-c', PREPARE, join(modelDir, 'preprocessor_config.json'), out, ...paths], { stdio: 'inherit' });
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { image_size: number };
  return { size: config.image_size, count: paths.length };
}

/** What a bench over prepared photos is given: the built app, the model, the photos. */
export interface PreparedBench {
  python: string;
  dist: string;
  /** The bench page's own routes (its report, no CSP), which the pixels route goes before. */
  routes: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  modelDir: string;
  photosDir: string;
  photos: number;
}

/** The app with the model folder and the prepared file at PIXELS_ROUTE, the bench's routes before the rest. */
export function servePixels(o: Pick<PreparedBench, 'dist' | 'modelDir' | 'routes'>, pixelsFile: string): Promise<Served> {
  return serve(o.dist, { modelDir: o.modelDir }, 0, (req, res, next) => {
    if ((req.url ?? '').split('?')[0] !== PIXELS_ROUTE) return o.routes(req, res, next);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    createReadStream(pixelsFile).pipe(res);
  });
}
