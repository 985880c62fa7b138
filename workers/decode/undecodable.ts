// Why bytes that would not decode did not: the most specific thing that can be said, down to
// naming what a file that is no image at all is instead.

import { cutShort, sniff } from './codecs/registry.ts';

export function undecodableReason(b: Uint8Array): string {
  if (b.byteLength === 0) return 'empty file (0 bytes)';
  const codec = sniff(b);
  if (codec?.unsupported) return codec.unsupported;
  if (codec) return `corrupt or truncated ${codec.format.toUpperCase()} (${b.byteLength} bytes)`;
  const cut = cutShort(b);
  if (cut) return `truncated ${cut.format.toUpperCase()}: it ends after ${b.byteLength} bytes`;
  let text: string;
  try {
    // Streaming, so a character cut by the 512-byte window is not taken for invalid UTF-8.
    text = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, 512), { stream: true }).trimStart().toLowerCase();
  } catch {
    return 'not an image: unknown format';
  }
  if (/[\x00-\x08\x0e-\x1f]/.test(text)) return 'not an image: unknown format';
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/.test(text)) return 'not an image tench decodes: the file is an SVG drawing';
  if (/^<(!doctype html|html|head|body)[\s>]/.test(text)) return 'not an image: the file is an HTML page';
  return 'not an image: the file is text';
}
