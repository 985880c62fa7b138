// The settings table is the one place a run setting is declared: --help shows its defaults, and
// each default as shown reads back as the value the run uses.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { DTYPES } from '../../src/core/device.ts';
import { SETTING_KEYS, settingOf, withDefaults } from '../../src/settings.ts';

async function help(): Promise<string> {
  let text = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    text += String(chunk);
    return true;
  });
  try {
    expect(await main(['classify', '--help'])).toBe(0);
  } finally {
    write.mockRestore();
  }
  // commander wraps long lines: the words are what count.
  return text.replace(/\s+/g, ' ');
}

afterEach(() => vi.restoreAllMocks());

describe('the settings table', () => {
  it('gives every setting in --help its flag and the default the table declares', async () => {
    const text = await help();
    for (const key of SETTING_KEYS) {
      const s = settingOf(key);
      expect(text, s.flag).toContain(`${s.flag} ${s.arg}`);
      expect(text, s.flag).toContain(`(default: ${s.shown})`);
      if (s.choices) expect(text, s.flag).toContain(`(choices: ${s.choices.map((c) => `"${c}"`).join(', ')})`);
    }
  });

  it('reads each default, as shown, back as the value a run uses; "auto" and "all" are no value', () => {
    for (const key of SETTING_KEYS) {
      const s = settingOf(key);
      const parsed = s.parse(s.shown);
      if (s.default === null) expect(parsed.ok, s.flag).toBe(false);
      else expect(parsed, s.flag).toEqual({ ok: true, value: s.default });
    }
  });

  it('gives each choice of a field with words for its choices a label, and names each dtype in its label', () => {
    for (const key of SETTING_KEYS) {
      const s = settingOf(key);
      const labels = s.field?.choiceLabels;
      if (!labels) continue;
      expect(Object.keys(labels).sort(), s.flag).toEqual([...(s.choices ?? [])].sort());
    }
    expect(settingOf('dtype').choices).toEqual(DTYPES);
    // The page's select shows the words, so the value the CLI takes must still be read in them.
    for (const dtype of DTYPES) expect(settingOf('dtype').field?.choiceLabels?.[dtype], dtype).toMatch(new RegExp(`^\\d+-bit.*\\(${dtype}\\)$`));
  });

  it('fills what was not given with the defaults, and says in one sentence what is wrong with a value', () => {
    const filled = withDefaults({ topK: 3 });
    expect(filled.topK).toBe(3);
    expect(filled.device).toBe('auto');
    expect(filled.batchSize).toBeNull();
    expect(filled.maxObjectBytes).toBe(256 * 1024 * 1024);
    expect(settingOf('topK').parse('0')).toEqual({ ok: false, reason: '--top-k takes a whole number of at least 1, got "0"' });
    expect(settingOf('maxPixels').parse('50M')).toEqual({ ok: true, value: 50_000_000 });
    expect(settingOf('maxObjectBytes').parse('64M')).toEqual({ ok: true, value: 64 * 1024 * 1024 });
    expect(settingOf('requestTimeoutMs').parse('2.5')).toEqual({ ok: true, value: 2500 });
  });
});
