// ICO: decoded by the browser, through createImageBitmap; its directory's first entry gives the
// size (0 meaning 256).

import { bytesAt } from '../bytes.ts';
import { plainHeader, type Codec } from '../codec.ts';

export const ico: Codec = {
  format: 'ico',
  sniff: (b) => bytesAt(b, 0, 0, 0, 1, 0),
  readHeader: (b) => (b.byteLength >= 8 ? plainHeader('ico', b[6] || 256, b[7] || 256, true) : null),
};
