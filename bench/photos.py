#!/usr/bin/env python3
"""Makes the photographs the bench measures, from the real photos scikit-image ships.

    /usr/bin/python3 bench/photos.py OUT_DIR

OUT_DIR/mixed/              900 JPEG (quality 90) then 300 PNG (RGB), 500x375: Imagenette's size
OUT/jpeg-2000x1500/         20 JPEG at 2000x1500
OUT/png-palette-alpha/      20 palette PNG and 20 RGBA PNG, 500x375
OUT/webp/                   40 lossy WebP, 500x375

Each picture is a different crop of one of ten photos, so no encoder sees the same image twice.
Deterministic; a second call with the same version does nothing. Needs Debian's python3-pil and
python3-skimage.
"""
import os
import random
import sys

from PIL import Image

VERSION = '1'
SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data'
SOURCES = ['astronaut.png', 'chelsea.png', 'coffee.png', 'hubble_deep_field.jpg', 'ihc.png',
           'motorcycle_left.png', 'motorcycle_right.png', 'retina.jpg', 'rocket.jpg', 'color.png']


def crops(count, width, height, seed):
    sources = [Image.open(os.path.join(SKIMAGE, n)).convert('RGB') for n in SOURCES]
    rnd = random.Random(seed)
    for i in range(count):
        src = sources[i % len(sources)]
        w, h = src.size
        scale = rnd.uniform(0.45, 1.0)
        cw = int(w * scale)
        ch = int(cw * height / width)
        if ch > h:
            ch = h
            cw = int(ch * width / height)
        x, y = rnd.randint(0, w - cw), rnd.randint(0, h - ch)
        img = src.crop((x, y, x + cw, y + ch)).resize((width, height), Image.LANCZOS)
        yield img.transpose(Image.FLIP_LEFT_RIGHT) if rnd.random() < 0.5 else img


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    stamp = os.path.join(out, 'VERSION')
    if os.path.exists(stamp) and open(stamp).read() == VERSION:
        return
    dirs = {name: os.path.join(out, name) for name in ['mixed', 'jpeg-2000x1500', 'png-palette-alpha', 'webp']}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    for i, img in enumerate(crops(1200, 500, 375, 1)):
        if i < 900:
            img.save(os.path.join(dirs['mixed'], f'p{i:04d}.jpg'), quality=90)
        else:
            img.save(os.path.join(dirs['mixed'], f'p{i:04d}.png'))
    for i, img in enumerate(crops(20, 2000, 1500, 2)):
        img.save(os.path.join(dirs['jpeg-2000x1500'], f'j{i:04d}.jpg'), quality=90)
    for i, img in enumerate(crops(40, 500, 375, 3)):
        if i % 2 == 0:
            img.convert('P', palette=Image.ADAPTIVE, colors=256).save(os.path.join(dirs['png-palette-alpha'], f'a{i:04d}.png'))
        else:
            rgba = img.convert('RGBA')
            rgba.putalpha(Image.linear_gradient('L').resize(img.size))
            rgba.save(os.path.join(dirs['png-palette-alpha'], f'a{i:04d}.png'))
    for i, img in enumerate(crops(40, 500, 375, 4)):
        img.save(os.path.join(dirs['webp'], f'w{i:04d}.webp'), quality=80)
    with open(stamp, 'w') as f:
        f.write(VERSION)


if __name__ == '__main__':
    main()
