// BMP: decoded in JavaScript as Pillow decodes it (decode.ts), never by the browser.

import { asciiAt } from '../bytes.ts';
import { plainHeader, type Codec } from '../codec.ts';
import { bmpToRgb } from './decode.ts';
import { bmpSize } from './header.ts';

export const bmp: Codec = {
  format: 'bmp',
  sniff: (b) => asciiAt(b, 0, 'BM') && b.byteLength > 26,
  readHeader(b) {
    const size = bmpSize(b);
    return size ? plainHeader('bmp', size.width, size.height) : null;
  },
  decode: bmpToRgb,
};
