// What a file claims to be, from its first bytes: to give a broken item a specific reason.

export type Format = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'avif' | 'tiff' | 'ico';

export function sniffFormat(b: Uint8Array): Format | null {
  const at = (i: number, ...values: number[]) => values.every((v, k) => b[i + k] === v);
  const ascii = (i: number, text: string) => [...text].every((ch, k) => b[i + k] === ch.charCodeAt(0));
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'BM')) return 'bmp';
  if (ascii(4, 'ftyp') && (ascii(8, 'avif') || ascii(8, 'avis'))) return 'avif';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (at(0, 0, 0, 1, 0)) return 'ico';
  return null;
}

/** Why bytes that would not decode did not: the most specific thing we can say. */
export function undecodableReason(b: Uint8Array): string {
  if (b.byteLength === 0) return 'empty file (0 bytes)';
  const format = sniffFormat(b);
  if (format === 'tiff') return 'TIFF images are not decoded by browsers';
  if (format) return `corrupt or truncated ${format.toUpperCase()} (${b.byteLength} bytes)`;
  const head = b.subarray(0, 64);
  const printable = head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 0x80);
  return printable ? 'not an image: the file is text' : 'not an image: unknown format';
}
