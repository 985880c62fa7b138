// Integers and four-character codes in the headers of image files. A byte past the end reads as
// 0, so a header reader checks lengths where a short file must be refused, not on every read.

const at = (b: Uint8Array, i: number) => b[i] ?? 0;

export const u16be = (b: Uint8Array, i: number) => (at(b, i) << 8) | at(b, i + 1);
export const u16le = (b: Uint8Array, i: number) => at(b, i) | (at(b, i + 1) << 8);
export const u24le = (b: Uint8Array, i: number) => at(b, i) | (at(b, i + 1) << 8) | (at(b, i + 2) << 16);
export const u32be = (b: Uint8Array, i: number) => ((at(b, i) << 24) | (at(b, i + 1) << 16) | (at(b, i + 2) << 8) | at(b, i + 3)) >>> 0;
export const u32le = (b: Uint8Array, i: number) => (at(b, i) | (at(b, i + 1) << 8) | (at(b, i + 2) << 16) | (at(b, i + 3) << 24)) >>> 0;

/** The four bytes at `i` as Latin-1 text: a PNG chunk's type, a RIFF chunk's name. */
export const fourCC = (b: Uint8Array, i: number) => String.fromCharCode(at(b, i), at(b, i + 1), at(b, i + 2), at(b, i + 3));

/** Whether the bytes at `i` are `values`. */
export const bytesAt = (b: Uint8Array, i: number, ...values: number[]) => values.every((v, k) => b[i + k] === v);

/** Whether the bytes at `i` spell `text` in ASCII. */
export const asciiAt = (b: Uint8Array, i: number, text: string) => [...text].every((ch, k) => b[i + k] === ch.charCodeAt(0));
