// GIF's LZW: codes of growing width, least significant bit first.

import { CorruptError } from '../codec.ts';

/** `data` decoded into `count` indices at most; how many it filled, and whether it met its end code. */
export function lzw(data: Uint8Array, minCode: number, count: number): { indices: Uint8Array; filled: number; ended: boolean } {
  const out = new Uint8Array(count);
  if (minCode < 1 || minCode > 11) throw new CorruptError(`LZW code size ${minCode} is out of range`);
  const clear = 1 << minCode;
  const end = clear + 1;
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < clear; i++) {
    suffix[i] = i;
    length[i] = 1;
  }
  let width = minCode + 1;
  let next = clear + 2;
  let prev = -1;
  let acc = 0;
  let bits = 0;
  let pos = 0;
  let filled = 0;
  const stack = new Uint8Array(4096);
  while (filled < count) {
    while (bits < width && pos < data.length) {
      acc |= data[pos++]! << bits;
      bits += 8;
    }
    if (bits < width) return { indices: out, filled, ended: false };
    const code = acc & ((1 << width) - 1);
    acc >>>= width;
    bits -= width;
    if (code === clear) {
      width = minCode + 1;
      next = clear + 2;
      prev = -1;
      continue;
    }
    if (code === end) return { indices: out, filled, ended: true };
    if (prev === -1) {
      if (code >= clear) throw new CorruptError('broken LZW data');
      out[filled++] = code;
      prev = code;
      continue;
    }
    let entry: number;
    if (code < next) entry = code;
    else if (code === next) entry = prev;
    else throw new CorruptError('broken LZW data');
    // The string of `entry`, last character first.
    let n = 0;
    for (let c = entry; ; c = prefix[c]!) {
      stack[n++] = suffix[c]!;
      if (length[c] === 1) break;
    }
    const first = stack[n - 1]!;
    if (code === next) {
      // The string of prev plus its own first character.
      for (let i = n; i > 0; i--) stack[i] = stack[i - 1]!;
      stack[0] = first;
      n++;
    }
    for (let i = n - 1; i >= 0 && filled < count; i--) out[filled++] = stack[i]!;
    if (next < 4096) {
      prefix[next] = prev;
      suffix[next] = first;
      length[next] = length[prev]! + 1;
      next++;
      if (next === 1 << width && width < 12) width++;
    }
    prev = code;
  }
  return { indices: out, filled, ended: true };
}
