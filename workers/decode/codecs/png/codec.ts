// PNG: through the browser's decoder where it gives Pillow's pixels (browser.ts), else in
// JavaScript as Pillow decodes it (decode.ts). Either way refused, before decoding, where Pillow
// refuses the chunks before the image data.

import { bytesAt, u32be } from '../bytes.ts';
import { plainHeader, type Codec } from '../codec.ts';
import { pngFitsBrowser, pngForBrowser } from './browser.ts';
import { checkedChunks } from './chunks.ts';
import { pngToRgb } from './decode.ts';

export const png: Codec = {
  format: 'png',
  sniff: (b) => bytesAt(b, 0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
  readHeader: (b) => (b.byteLength >= 24 ? plainHeader('png', u32be(b, 16), u32be(b, 20)) : null),
  refusal(b) {
    const checked = checkedChunks(b);
    return checked.ok ? null : checked.reason;
  },
  decode: pngToRgb,
  imageDecoder: { type: 'image/png', takes: pngFitsBrowser, bytes: pngForBrowser, planes: false },
};
