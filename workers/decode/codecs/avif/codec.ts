// AVIF: recognised so that a refusal names the format; tench reads no AVIF header, so every
// AVIF file is refused before decoding.

import { asciiAt } from '../bytes.ts';
import type { Codec } from '../codec.ts';

export const avif: Codec = {
  format: 'avif',
  sniff: (b) => asciiAt(b, 4, 'ftyp') && (asciiAt(b, 8, 'avif') || asciiAt(b, 8, 'avis')),
  readHeader: () => null,
};
