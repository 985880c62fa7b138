// Text from a dataset reaches the terminal as text: a label cannot set the window's title or
// recolour the terminal, and what it holds can still be read.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonLine, printable } from '../../src/cli/printable.ts';
import { terminal } from '../../src/cli/terminal.ts';
import type { Evaluation, Failures } from '../../src/store/evaluate.ts';

const TITLE = '\x1b]0;pwned\x07';
const RED = '\x1b[31m';
const C1 = '\u009b31m';
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;

afterEach(() => vi.restoreAllMocks());

describe('what the CLI prints of the data', () => {
  it('writes every C0 and C1 control and DEL as a visible escape, and leaves the rest', () => {
    expect(printable(`tench ${TITLE}${RED}fish${C1}\x7f\ttab\nline`)).toBe('tench \\x1b]0;pwned\\x07\\x1b[31mfish\\x9b31m\\x7f\\x09tab\\x0aline');
    expect(printable('Tinca tinca, 94.1% — ünïcode ✓')).toBe('Tinca tinca, 94.1% — ünïcode ✓');
    for (let c = 0; c < 0x100; c++) expect(printable(String.fromCharCode(c)), `U+${c.toString(16)}`).not.toMatch(CONTROLS);
  });

  it('keeps JSON lines JSON that reads back the same, with no control character in them', () => {
    const value = { label: `${TITLE}${RED}${C1}\x7f` };
    const line = jsonLine(value);
    expect(line).not.toMatch(CONTROLS);
    expect(JSON.parse(line)).toEqual(value);
  });

  it('prints the evaluation table, the failures and errors with the labels escaped', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const label = `tench${TITLE}${RED}`;
    const evaluation = { labelled: 2, correct: 1, accuracy: 0.5, top5Accuracy: 1, topKDepth: 5, failedLabelled: 0, perClass: [{ label, support: 2, predicted: 1, precision: 1, recall: 0.5 }], outside: { images: 0, labels: [], classes: null } } as unknown as Evaluation;
    const failures = { total: 1, byCause: { fetch_failed: 1 }, failed: [] } as unknown as Failures;
    for (const json of [false, true]) {
      const con = terminal(json);
      con.report(evaluation, failures);
      con.err(`tench: the run failed: the list lists ${label}`);
    }
    const printed = [...err.mock.calls, ...log.mock.calls].map((c) => String(c[0])).join('\n');
    expect(printed).toContain('tench\\x1b]0;pwned\\x07\\x1b[31m');
    expect(printed).toContain('"label":"tench\\u001b]0;pwned\\u0007\\u001b[31m"');
    expect(printed.split('\n').filter((l) => CONTROLS.test(l))).toEqual([]);
  });
});
