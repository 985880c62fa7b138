#!/usr/bin/env python3
"""The pipeline a Python user would write, for the bench's baseline: what Ray's read_images and
Hugging Face's ViTImageProcessor do to every image, with Pillow and NumPy.

    /usr/bin/python3 bench/native.py PREPROCESSOR_CONFIG SETS_JSON PROCESSES

SETS_JSON: [{"name": ..., "files": [path, ...]}, ...]. Prints, as JSON, each set's images per
second on one core (one process) and on PROCESSES processes. Steps: Image.open(path),
convert('RGB'), resize to the processor's size with its resample, rescale in float64 then
float32, normalize in float32, channels first: what transformers' rescale() and normalize() do.
Files are read once before timing, so the figures are the CPU's, not the disk's.
"""
import json
import multiprocessing
import sys
import time

import numpy as np
from PIL import Image

config = None


def setup(path):
    global config
    with open(path, encoding='utf-8') as f:
        c = json.load(f)
    size = c['size']
    if isinstance(size, int):
        size = {'height': size, 'width': size}
    config = {
        'size': (size['width'], size['height']),
        'resample': c.get('resample', 2),
        'scale': c.get('rescale_factor', 1 / 255),
        'mean': np.array(c.get('image_mean', [0.5] * 3), dtype=np.float32),
        'std': np.array(c.get('image_std', [0.5] * 3), dtype=np.float32),
    }


def prepare(path):
    img = Image.open(path).convert('RGB').resize(config['size'], config['resample'])
    x = (np.asarray(img).astype(np.float64) * config['scale']).astype(np.float32)
    x = (x - config['mean']) / config['std']
    return np.ascontiguousarray(x.transpose(2, 0, 1)).shape


def rate(pool, files, rounds):
    # Warm: the page cache and each process's imports.
    pool.map(prepare, files[: min(len(files), 16)], chunksize=1)
    started = time.perf_counter()
    for _ in range(rounds):
        pool.map(prepare, files, chunksize=4)
    return len(files) * rounds / (time.perf_counter() - started)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    config_path, sets_path, processes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(sets_path, encoding='utf-8') as f:
        sets = json.load(f)
    out = []
    for s in sets:
        files = s['files']
        rounds = max(1, 400 // len(files))
        result = {'name': s['name'], 'images': len(files)}
        for key, n in [('perCore', 1), ('allCores', processes)]:
            with multiprocessing.Pool(n, initializer=setup, initargs=(config_path,)) as pool:
                result[key] = rate(pool, files, rounds)
        out.append(result)
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
