// What a screenshot is, read from its PNG header, and how it must match the box it was taken of.

import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

export function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** An element screenshot covers the element's box out to whole pixels: each edge may move out by
 * less than one. */
export function expectSize(png: { width: number; height: number }, box: { width: number; height: number }): void {
  expect(png.width - box.width, `width ${png.width} for ${box.width}`).toBeGreaterThanOrEqual(0);
  expect(png.width - box.width, `width ${png.width} for ${box.width}`).toBeLessThan(2);
  expect(png.height - box.height, `height ${png.height} for ${box.height}`).toBeGreaterThanOrEqual(0);
  expect(png.height - box.height, `height ${png.height} for ${box.height}`).toBeLessThan(2);
}
