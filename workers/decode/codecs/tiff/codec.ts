// TIFF: recognised so that a refusal says why; no browser decodes it.

import { bytesAt } from '../bytes.ts';
import type { Codec } from '../codec.ts';

export const tiff: Codec = {
  format: 'tiff',
  sniff: (b) => bytesAt(b, 0, 0x49, 0x49, 0x2a, 0x00) || bytesAt(b, 0, 0x4d, 0x4d, 0x00, 0x2a),
  readHeader: () => null,
  unsupported: 'TIFF images are not decoded by browsers',
};
