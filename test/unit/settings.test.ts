// The settings table is the one place a run input is declared: --help shows each flag once with
// its default, each default as shown reads back as the value the run uses, and each parser says
// what is wrong with a value in one sentence.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { DTYPES } from '../../src/core/device.ts';
import { defaultShown } from '../../src/cli/options.ts';
import { DEFAULT_MODEL, INPUT_KEYS, SETTING_KEYS, inputOf, settingOf, storedSettings, withDefaults } from '../../src/settings.ts';

async function rawHelp(command: string): Promise<string> {
  let text = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    text += String(chunk);
    return true;
  });
  try {
    expect(await main([command, '--help'])).toBe(0);
  } finally {
    write.mockRestore();
  }
  return text;
}

// commander wraps long lines: the words are what count.
const help = async (command = 'classify') => (await rawHelp(command)).replace(/\s+/g, ' ');

/** The flags of the option lines of --help, as many times as each is listed. */
const listedFlags = (text: string) => [...text.matchAll(/^ {2}(--[a-z0-9-]+)/gm)].map((m) => m[1]!);

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

  it('lists every flag of classify once, the table\'s and the command\'s own', async () => {
    const listed = listedFlags(await rawHelp('classify'));
    const counts = new Map<string, number>();
    for (const flag of listed) counts.set(flag, (counts.get(flag) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    const table = [...SETTING_KEYS.map((k) => settingOf(k).flag), ...INPUT_KEYS.map((k) => inputOf(k).flag)];
    expect(table.filter((flag) => counts.get(flag) !== 1)).toEqual([]);
    // The model comes first, as a reader looks for it first.
    expect(listed.slice(0, 2)).toEqual(['--model', '--revision']);
  });

  it('gives each input its flag, its variables and its default in --help, the S3 server\'s to merge as well', async () => {
    const text = await help();
    for (const key of INPUT_KEYS) {
      const s = inputOf(key);
      expect(text, s.flag).toContain(`${s.flag} ${s.arg} ${s.help}`);
      if (defaultShown(s)) expect(text, s.flag).toContain(`(default: ${defaultShown(s)})`);
    }
    expect(text).toContain(`(default: $TENCH_MODEL, then ${DEFAULT_MODEL})`);
    expect(text).toContain('(default: $AWS_REGION, then $AWS_DEFAULT_REGION, then us-east-1)');
    expect(text).toContain('--shards <n> the number of shards, with the index from $JOB_COMPLETION_INDEX or $AWS_BATCH_JOB_ARRAY_INDEX (default: $TENCH_SHARDS)');
    const merge = await rawHelp('merge');
    expect(listedFlags(merge).filter((f) => f.startsWith('--s3-'))).toEqual(['--s3-endpoint', '--s3-region']);
    expect(merge.replace(/\s+/g, ' ')).toContain('(default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL)');
  });

  it('reads --sample, --seed, --shard and --shards, and says in one sentence what is wrong', () => {
    expect(settingOf('sample').parse('40')).toEqual({ ok: true, value: { count: 40, seed: 0 } });
    expect(settingOf('sample').parse('0')).toEqual({ ok: false, reason: '--sample takes a whole number of at least 1, got "0"' });
    expect(settingOf('sample').parse('2.5')).toEqual({ ok: false, reason: '--sample takes a whole number of at least 1, got "2.5"' });
    expect(inputOf('seed').parse('0')).toEqual({ ok: true, value: 0 });
    expect(inputOf('seed').parse('7')).toEqual({ ok: true, value: 7 });
    expect(inputOf('seed').parse('x')).toEqual({ ok: false, reason: '--seed takes a whole number, got "x"' });
    expect(inputOf('seed').parse('')).toEqual({ ok: false, reason: '--seed takes a whole number, got ""' });
    expect(inputOf('seed').parse('-1')).toEqual({ ok: false, reason: '--seed takes a whole number, got "-1"' });
    expect(settingOf('shard').parse(' 3 / 16 ')).toEqual({ ok: true, value: { index: 3, count: 16 } });
    expect(settingOf('shard').parse('4/4')).toEqual({ ok: false, reason: '--shard takes i/n, a 0-based shard index below a shard count of at least 1, such as 0/4, got "4/4"' });
    expect(inputOf('shards').parse('16')).toEqual({ ok: true, value: 16 });
    expect(inputOf('shards').parse('0')).toEqual({ ok: false, reason: '--shards takes a whole number of at least 1, got "0"' });
  });

  it('reads --model, --revision and the S3 server as names, refusing none and a revision that is no ref name', () => {
    expect(inputOf('model').parse('public/models/tench-tiny-vit')).toEqual({ ok: true, value: 'public/models/tench-tiny-vit' });
    expect(inputOf('model').parse(' ')).toEqual({ ok: false, reason: '--model takes a Hugging Face Hub id or a model folder, got " "' });
    expect(inputOf('revision').parse(' v1.0 ')).toEqual({ ok: true, value: 'v1.0' });
    expect(inputOf('revision').parse('refs/pr/3')).toEqual({ ok: true, value: 'refs/pr/3' });
    for (const bad of ['', '..', 'a/../b', 'a//b', 'a\\b']) {
      expect(inputOf('revision').parse(bad), bad).toEqual({ ok: false, reason: `--revision takes a branch, tag or commit name, got ${JSON.stringify(bad)}` });
    }
    expect(inputOf('s3Endpoint').parse('http://localhost:9000')).toEqual({ ok: true, value: 'http://localhost:9000' });
    expect(inputOf('s3Endpoint').parse('')).toEqual({ ok: false, reason: '--s3-endpoint takes an http(s) URL, got ""' });
    expect(inputOf('s3Region').parse('')).toEqual({ ok: false, reason: '--s3-region takes a region such as eu-west-1, got ""' });
  });

  it('reads a label map\'s text, naming the file it came from when it is not one', () => {
    expect(settingOf('labelMap').parse('{"cats": "tabby, tabby cat"}')).toEqual({ ok: true, value: { cats: 'tabby, tabby cat' } });
    expect(settingOf('labelMap').parse('{"cats": ')).toEqual({ ok: false, reason: '--label-map: not JSON' });
    const named = settingOf('labelMap') as { parse(text: string, source?: string): unknown };
    expect(named.parse('["cats"]', '--label-map map.json')).toMatchObject({ ok: false, reason: expect.stringMatching(/^--label-map map\.json: give a JSON object/) });
    expect(settingOf('labelMap').file).toBe(true);
  });

  it('defaults to no sample, no shard, an empty label map, ViT-B/16 from the Hub at its main branch, and seed 0', () => {
    const filled = withDefaults({});
    expect(filled.sample).toBeNull();
    expect(filled.shard).toBeNull();
    expect(filled.labelMap).toEqual({});
    expect(inputOf('model').default).toBe('google/vit-base-patch16-224');
    expect(inputOf('revision').default).toBe('main');
    expect(inputOf('seed').default).toBe(0);
    expect(inputOf('shards').default).toBeNull();
    expect(inputOf('s3Endpoint').env).toEqual(['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']);
  });

  it('keeps in a run\'s record the settings marked stored, as asked: null where the run decides', () => {
    const stored = storedSettings({ device: 'wasm', topK: 3, sessions: null, threads: 4, sample: { count: 5, seed: 1 } });
    expect(stored).toEqual({ device: 'wasm', dtype: 'fp32', sessions: null, decoders: null, batchSize: null, topK: 3, limit: null, embeddings: false });
    expect(Object.keys(stored).sort()).toEqual(SETTING_KEYS.filter((k) => settingOf(k).stored).sort());
  });
});
