// The CLI's last line: the run's images and errors, this process's time and rate, and what it
// found done already, set apart.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { terminal } from '../../src/cli/terminal.ts';
import type { Summary } from '../../src/cli/classify.ts';

const base: Summary = { images: 600, errors: 2, seconds: 12.04, rate: 24.9, computed: 300, state: 'done', out: 'results.jsonl', resumed: 300, cached: 0, repeated: 0, firstRowSeconds: 1.5 };

function lastLine(json: boolean, s: Summary): string {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  terminal(json).summary(s);
  return String(log.mock.calls.at(-1)![0]);
}

afterEach(() => vi.restoreAllMocks());

describe('the summary line', () => {
  it('keeps its start, and sets resumed and reused rows apart when there are any', () => {
    expect(lastLine(false, base)).toBe('classified 600 images (2 errors) in 12.0 s, 24.90 images/s; 300 resumed, 0 reused');
    expect(lastLine(false, { ...base, resumed: 0, cached: 0, rate: 49.8, computed: 600 })).toBe('classified 600 images (2 errors) in 12.0 s, 49.80 images/s');
    expect(lastLine(false, { ...base, state: 'cancelled', resumed: 0, cached: 7 })).toBe('classified 600 images (2 errors) in 12.0 s, 24.90 images/s (cancelled); 0 resumed, 7 reused');
  });

  it('says last how many repeated entries of a list were skipped, so the line keeps its start', () => {
    expect(lastLine(false, { ...base, resumed: 0, repeated: 3 })).toBe('classified 600 images (2 errors) in 12.0 s, 24.90 images/s; 3 repeats skipped');
    expect(lastLine(false, { ...base, repeated: 1 })).toBe('classified 600 images (2 errors) in 12.0 s, 24.90 images/s; 300 resumed, 0 reused; 1 repeats skipped');
    expect(JSON.parse(lastLine(true, { ...base, repeated: 3 }))).toMatchObject({ type: 'summary', images: 600, repeated: 3 });
  });

  it('gives the same figures as JSON, the computed count with them', () => {
    expect(JSON.parse(lastLine(true, base))).toMatchObject({ type: 'summary', images: 600, errors: 2, rate: 24.9, computed: 300, resumed: 300, cached: 0 });
  });
});
