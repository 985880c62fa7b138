// Every run input, declared once: its flag, its field on the page, its default, its help, how its
// text is read, and whether the run's record shows it. The CLI's options and --help, the page's
// form, the job request's type and the run's stored settings are all made from these tables.

import { DEVICES as DEVICE_NAMES, DTYPES, type RequestedDevice } from './core/device.ts';
import { IMAGE_EXTENSIONS, parseExtensions } from './datasets/filter.ts';
import { MAX_LIST_BYTES, MAX_LIST_LINE_BYTES } from './datasets/list-limits.ts';
import type { Sample } from './datasets/sample.ts';
import type { Shard } from './datasets/shard.ts';
import { parseLabelMap } from './model/label-map.ts';
import { REQUEST_TIMEOUT_MS } from './net/retry.ts';

export type Parsed<V> = { ok: true; value: V } | { ok: false; reason: string };

export interface Setting<V> {
  /** The CLI's flag and its argument's name. */
  flag: `--${string}`;
  arg: string;
  help: string;
  /** The value when none is given; null when each run decides (the help says from what). */
  default: V | null;
  /** The default as --help and the page show it, in the form `parse` reads; empty when there is none to show. */
  shown: string;
  parse(text: string): Parsed<V>;
  choices?: readonly string[];
  /** Variables read in this order when the flag is not given, before the default: --help names them. */
  env?: readonly string[];
  /** The flag names a file, and `parse` reads the file's text. */
  file?: true;
  /** A field on the page's form, in one of its groups, with words for its choices; absent for the CLI's alone. */
  field?: { group: 'images' | 'model' | 'run'; label: string; hint?: string; choiceLabels?: Readonly<Record<string, string>> };
  /** Kept in the run's record of settings, which the page lists with each run. */
  stored?: boolean;
  /** A request may leave it out and gets the default: the requests of runs stored before it was a setting lack it. */
  optional?: true;
  /** A flag with no argument (on when given) and a checkbox on the page; `parse` reads 'true' or 'false'. */
  switch?: true;
}

/** Larger objects are an error for their row, never downloaded whole. */
export const MAX_OBJECT_BYTES = 256 * 1024 * 1024;
/** Refused outright: larger than any camera makes, the size of decompression bombs. */
export const MAX_PIXELS = 1_000_000_000;
/** Downloads in flight unless the run says: enough to hide a remote store's latency. */
export const FETCH_CONCURRENCY = 16;
/** The model a run classifies with unless it names one. */
export const DEFAULT_MODEL = 'google/vit-base-patch16-224';
/** --sample's seed unless --seed says. */
const SEED = 0;

const ok = <V>(value: V): Parsed<V> => ({ ok: true, value });
const bad = (flag: string, what: string, text: string): Parsed<never> => ({ ok: false, reason: `${flag} takes ${what}, got ${JSON.stringify(text)}` });

function wholeNumber(flag: string, least: 0 | 1): (text: string) => Parsed<number> {
  return (text) => {
    const n = Number(text);
    return text.trim() !== '' && Number.isSafeInteger(n) && n >= least ? ok(n) : bad(flag, least ? 'a whole number of at least 1' : 'a whole number', text);
  };
}

const count = (flag: string) => wholeNumber(flag, 1);

function choice<V extends string>(flag: string, choices: readonly V[]): (text: string) => Parsed<V> {
  return (text) => ((choices as readonly string[]).includes(text) ? ok(text as V) : bad(flag, `one of ${choices.join(', ')}`, text));
}

/** Any text but none: a name the run resolves (a model, a server), checked where it is resolved. */
function named(flag: string, what: string): (text: string) => Parsed<string> {
  return (text) => (text.trim() !== '' ? ok(text) : bad(flag, what, text));
}

/**
 * A count with an optional K, M or G: of 1024s for bytes (64M is 64 MiB), of 1000s for pixels
 * (50M is 50 megapixels), as cameras and disks are sold.
 */
export function quantity(flag: string, base: 1000 | 1024, example: string): (text: string) => Parsed<number> {
  return (text) => {
    const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
    const n = m ? Math.round(Number(m[1]) * base ** ' kmg'.indexOf((m[2] || ' ').toLowerCase())) : NaN;
    return Number.isSafeInteger(n) && n >= 1 ? ok(n) : bad(flag, `a number with an optional K, M or G, such as ${example}`, text);
  };
}

/** `i/n` with 0 <= i < n, as --shard takes it. */
function parseShardText(text: string): Parsed<Shard> {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  return m && Number.isSafeInteger(count) && count >= 1 && index < count
    ? ok({ index, count })
    : bad('--shard', 'i/n, a 0-based shard index below a shard count of at least 1, such as 0/4', text);
}

/** The revision names folders of the Hugging Face cache (refs/<revision>, snapshots/<revision>), as git names refs. */
function parseRevision(text: string): Parsed<string> {
  const revision = text.trim();
  const unsafe = revision.split('/').some((part) => part === '' || part === '.' || part === '..') || /[\0\\]/.test(revision);
  return unsafe ? bad('--revision', 'a branch, tag or commit name', text) : ok(revision);
}

const DEVICES = ['auto', ...DEVICE_NAMES] as const satisfies readonly RequestedDevice[];
/** Where true labels come from: the list or ImageNet folder ids, the parent folder's name, or nowhere. */
export const LABEL_SOURCES = ['auto', 'folder', 'none'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

/** `a,b` -> ['a', 'b']; `all`; `none` -> []. */
function parseColumns(text: string): Parsed<'all' | string[]> {
  const t = text.trim();
  if (t === 'all') return ok('all');
  if (t === 'none') return ok([]);
  const names = t.split(',').map((n) => n.trim());
  return names.length && names.every((n) => n !== '') ? ok(names) : bad('--keep-columns', 'a comma-separated list of column names, all, or none', text);
}

function parseSwitch(flag: string): (text: string) => Parsed<boolean> {
  return (text) => (text === 'true' || text === 'false' ? ok(text === 'true') : bad(flag, 'true or false', text));
}

/** The settings a request holds as their text reads. Their order is the page's form's. */
export const SETTINGS = {
  device: { flag: '--device', arg: '<device>', help: 'where the model runs', default: 'auto' as const, shown: 'auto', choices: DEVICES, parse: choice('--device', DEVICES), field: { group: 'model', label: 'Device' }, stored: true },
  dtype: {
    flag: '--dtype', arg: '<dtype>', help: 'model weights to use, each from its own file of the model\'s onnx/ folder: fewer bits are a smaller download and faster on WASM, at some cost in agreement with fp32',
    default: 'fp32' as const, shown: 'fp32', choices: DTYPES, parse: choice('--dtype', DTYPES), stored: true,
    field: {
      group: 'model', label: 'Precision',
      choiceLabels: { fp32: '32-bit float (fp32)', fp16: '16-bit float (fp16)', q8: '8-bit (q8)', int8: '8-bit signed (int8)', uint8: '8-bit unsigned (uint8)', q4: '4-bit (q4)', q4f16: '4-bit, 16-bit float (q4f16)' },
    },
  },
  sessions: { flag: '--concurrency', arg: '<n>', help: 'inference sessions, one worker each; auto picks from the machine', default: null, shown: 'auto', parse: count('--concurrency'), field: { group: 'run', label: 'Sessions' }, stored: true },
  batchSize: { flag: '--batch-size', arg: '<n>', help: 'images per forward pass; auto picks from the device', default: null, shown: 'auto', parse: count('--batch-size'), field: { group: 'run', label: 'Batch size' }, stored: true },
  decoders: { flag: '--decoders', arg: '<n>', help: 'decode workers; auto picks from the machine and the model', default: null, shown: 'auto', parse: count('--decoders'), stored: true },
  threads: { flag: '--threads', arg: '<n>', help: 'WASM threads per session; auto picks from the machine and the model', default: null, shown: 'auto', parse: count('--threads'), optional: true },
  fetchConcurrency: { flag: '--fetch-concurrency', arg: '<n>', help: 'downloads in flight', default: FETCH_CONCURRENCY, shown: String(FETCH_CONCURRENCY), parse: count('--fetch-concurrency'), optional: true },
  topK: { flag: '--top-k', arg: '<k>', help: 'labels kept per image', default: 5, shown: '5', parse: count('--top-k'), field: { group: 'run', label: 'Top-k' }, stored: true },
  limit: { flag: '--limit', arg: '<n>', help: 'classify only the first n images', default: null, shown: 'all', parse: count('--limit'), field: { group: 'run', label: 'Limit' }, stored: true },
  sample: {
    flag: '--sample', arg: '<n>', help: 'a random subset of n images, the same for the same --seed whatever the listing order', default: null, shown: 'all', optional: true,
    // The seed is --seed's default until the CLI reads that flag: one flag, one parser.
    parse: (text: string): Parsed<Sample> => {
      const n = count('--sample')(text);
      return n.ok ? ok({ count: n.value, seed: SEED }) : n;
    },
  },
  shard: { flag: '--shard', arg: '<i/n>', help: 'classify only shard i of n (0-based): the images whose path hashes to i', default: null, shown: 'all', parse: parseShardText, optional: true },
  embeddings: {
    flag: '--embeddings', arg: '', help: 'also write each image\'s embedding: the model\'s pooled output or [CLS] token, hidden size long (JSONL and Parquet outputs)',
    default: false, shown: 'false', switch: true, parse: parseSwitch('--embeddings'), optional: true, stored: true,
    field: { group: 'run', label: 'Embeddings', hint: 'keep each image\'s vector with its row' },
  },
  imageColumn: {
    flag: '--image-column', arg: '<name>', help: 'a Parquet dataset\'s image column: a struct of bytes and path, binary, or URLs; auto finds it from the file', default: null, shown: 'auto',
    // auto is the default: found from the file's schema; no column is named so.
    parse: (text: string) => (text.trim() === 'auto' ? bad('--image-column', 'a column name (leave it out to find the column from the file)', text) : named('--image-column', 'a column name')(text)), optional: true,
  },
  keepColumns: {
    flag: '--keep-columns', arg: '<list>', help: 'the dataset\'s own columns (Parquet columns, WebDataset txt and json) carried into every output: a comma-separated list, all, or none',
    default: 'all' as 'all' | string[], shown: 'all', parse: parseColumns, optional: true,
  },
  applyExifOrientation: {
    flag: '--exif-orientation', arg: '<mode>', help: 'ignore EXIF orientation, as Pillow and the Python reference do, or apply it', default: false, shown: 'ignore', choices: ['ignore', 'apply'], optional: true,
    parse: (text: string): Parsed<boolean> => (text === 'ignore' || text === 'apply' ? ok(text === 'apply') : bad('--exif-orientation', 'ignore or apply', text)),
  },
  extensions: {
    flag: '--extensions', arg: '<list>', help: 'which files are images, by extension', default: [...IMAGE_EXTENSIONS], shown: IMAGE_EXTENSIONS.join(','), optional: true,
    parse(text: string): Parsed<string[]> {
      const list = parseExtensions(text);
      return list.ok && list.value.length ? ok(list.value) : bad('--extensions', 'a comma-separated list such as jpg,png', text);
    },
    field: { group: 'run', label: 'Extensions', hint: 'which files are images' },
  },
  labelsFrom: {
    flag: '--labels-from', arg: '<source>', help: 'true labels: from the list or ImageNet folder ids (auto), the parent folder\'s name (folder), or none', default: 'auto' as const, shown: 'auto', choices: LABEL_SOURCES, optional: true,
    parse: choice('--labels-from', LABEL_SOURCES),
    field: { group: 'images', label: 'True labels', hint: 'for the evaluation', choiceLabels: { auto: 'from the list, or ImageNet folder ids', folder: 'the parent folder\'s name', none: 'none' } },
  },
  labelMap: {
    flag: '--label-map', arg: '<file>', help: 'a JSON object mapping your class names (folder names or list labels) to the model\'s labels', default: {}, shown: '{}', file: true, optional: true,
    // An empty map keeps every name as it is: the same as none.
    parse: (text: string, source = '--label-map') => parseLabelMap(text, source),
  },
  maxObjectBytes: { flag: '--max-object-size', arg: '<size>', help: 'larger files are an error for their row, never downloaded whole', default: MAX_OBJECT_BYTES, shown: '256M', parse: quantity('--max-object-size', 1024, '64M'), optional: true },
  maxPixels: { flag: '--max-pixels', arg: '<n>', help: 'images whose header gives more pixels are an error for their row, never decoded', default: MAX_PIXELS, shown: '1000M', parse: quantity('--max-pixels', 1000, '50M'), optional: true },
  maxListBytes: { flag: '--max-list-size', arg: '<size>', help: 'a list of images longer than this stops the run with the reason', default: MAX_LIST_BYTES, shown: '2G', parse: quantity('--max-list-size', 1024, '4G'), optional: true },
  maxListLineBytes: { flag: '--max-list-line', arg: '<size>', help: 'a list line (a CSV record) longer than this stops the run with the reason', default: MAX_LIST_LINE_BYTES, shown: '64K', parse: quantity('--max-list-line', 1024, '1M'), optional: true },
  requestTimeoutMs: {
    flag: '--request-timeout', arg: '<seconds>', help: 'a download or listing page that receives nothing for this long is tried again', default: REQUEST_TIMEOUT_MS, shown: String(REQUEST_TIMEOUT_MS / 1000), optional: true,
    parse(text: string): Parsed<number> {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) && n > 0 ? ok(Math.round(n * 1000)) : bad('--request-timeout', 'a number of seconds above 0', text);
    },
  },
} satisfies Record<string, Setting<unknown>>;


/**
 * A task's own index, set by the batch system: a Kubernetes Indexed Job, an AWS Batch array job.
 * Neither says how many tasks there are (Kubernetes keeps `completions` out of the environment),
 * so the count comes from --shards or its variable.
 */
export const SHARD_INDEX_VARIABLES: readonly string[] = Object.freeze(['JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX']);

/**
 * The run's inputs that a request holds only once resolved: the model (a Hub id or a folder, as a
 * ModelRef), its revision (with the Hub's), the sample's seed (in the sample), the number of shards
 * (with the batch system's index, into the shard), and the S3 server (in the dataset).
 */
export const INPUTS = {
  model: { flag: '--model', arg: '<id|folder>', help: 'a Hugging Face Hub id or a local model folder', default: DEFAULT_MODEL, shown: DEFAULT_MODEL, env: ['TENCH_MODEL'], parse: named('--model', 'a Hugging Face Hub id or a model folder') },
  revision: {
    flag: '--revision', arg: '<rev>', help: 'the branch, tag or commit of a Hub model (the Hub: $HF_ENDPOINT, else huggingface.co; a token for gated or private models: $HF_TOKEN)',
    default: 'main', shown: 'main', parse: parseRevision,
  },
  seed: { flag: '--seed', arg: '<s>', help: 'the seed of --sample', default: SEED, shown: String(SEED), parse: wholeNumber('--seed', 0) },
  shards: {
    flag: '--shards', arg: '<n>', help: `the number of shards, with the index from ${SHARD_INDEX_VARIABLES.map((name) => `$${name}`).join(' or ')}`, default: null, shown: '',
    env: ['TENCH_SHARDS'] as const, parse: count('--shards'),
  },
  // Any text: whether it is a URL is said where it is resolved, for the variables alike.
  s3Endpoint: { flag: '--s3-endpoint', arg: '<url>', help: 'an S3-compatible server (MinIO, R2, s3rver)', default: null, shown: '', env: ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'], parse: named('--s3-endpoint', 'an http(s) URL') },
  s3Region: { flag: '--s3-region', arg: '<region>', help: 'the bucket\'s region', default: null, shown: 'us-east-1', env: ['AWS_REGION', 'AWS_DEFAULT_REGION'], parse: named('--s3-region', 'a region such as eu-west-1') },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof SETTINGS;
type Inputs = typeof INPUTS;
/** The value a parser reads its text as. */
type ParsedBy<S> = S extends { parse(text: string): infer R } ? ValueIn<R> : never;
type ValueIn<R> = R extends { ok: true; value: infer V } ? V : never;

export type SettingKey = keyof Settings;
export type SettingValue<K extends SettingKey> = ParsedBy<Settings[K]>;
/** null where the run decides, for the settings whose default is null. */
type Decided<K extends SettingKey> = Settings[K]['default'] extends null ? null : never;
type KeysWhere<Mark> = { [K in SettingKey]: Settings[K] extends Mark ? K : never }[SettingKey];
type OptionalKey = KeysWhere<{ optional: true }>;
export type StoredKey = KeysWhere<{ stored: true }>;

/** Each setting's value; null where the run decides and none was given. */
export type SettingValues = { [K in SettingKey]: SettingValue<K> | Decided<K> };
/** The settings as a request holds them (request.ts): those a request may leave out are optional. */
export type RequestSettings = Omit<SettingValues, OptionalKey> & Partial<Pick<SettingValues, OptionalKey>>;
/** What a run's record keeps of its settings (store/records.ts). */
export type StoredSettings = Pick<SettingValues, StoredKey>;

export type InputKey = keyof Inputs;
export type InputValue<K extends InputKey> = ParsedBy<Inputs[K]>;

// The tables as their parsers type them: a default of the wrong type fails to compile here.
const SETTING_OF: { readonly [K in SettingKey]: Setting<SettingValue<K>> } = SETTINGS;
const INPUT_OF: { readonly [K in InputKey]: Setting<InputValue<K>> } = INPUTS;

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
export const INPUT_KEYS = Object.keys(INPUTS) as InputKey[];
const STORED_KEYS = SETTING_KEYS.filter((key): key is StoredKey => SETTING_OF[key].stored === true);

export function settingOf<K extends SettingKey>(key: K): Setting<SettingValue<K>> {
  return SETTING_OF[key];
}

export function inputOf<K extends InputKey>(key: K): Setting<InputValue<K>> {
  return INPUT_OF[key];
}

/** What was given, and the table's default for the rest. */
export function withDefaults(given: { [K in SettingKey]?: SettingValue<K> | null }): SettingValues {
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const key of SETTING_KEYS) out[key] = given[key] ?? settingOf(key).default;
  return out as SettingValues;
}

/** A request's value of a setting, or its default. */
export function valueOf<K extends SettingKey>(request: { [P in K]?: SettingValue<P> | null }, key: K): SettingValue<K> | null {
  return request[key] ?? settingOf(key).default;
}

/** The settings a run's record shows (those marked stored), as asked: null where the run decides. */
export function storedSettings(request: { [K in SettingKey]?: SettingValue<K> | null }): StoredSettings {
  const values = withDefaults(request);
  return Object.fromEntries(STORED_KEYS.map((key) => [key, values[key]])) as StoredSettings;
}
