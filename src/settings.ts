// Every run setting, declared once: its flag, its field on the page, its default, its help, how
// its text is read, and whether the run's record shows it. The CLI's options and --help, the
// page's form, the job request and the run's stored settings are all made from this table.

import { IMAGE_EXTENSIONS, parseExtensions } from './datasets/filter.ts';
import { MAX_LIST_BYTES, MAX_LIST_LINE_BYTES } from './datasets/list-limits.ts';
import { REQUEST_TIMEOUT_MS } from './net/retry.ts';
import { FETCH_CONCURRENCY, type RequestedDevice } from './pipeline/runtime.ts';
import { DEVICES as DEVICE_NAMES, DTYPES } from './core/device.ts';
import type { LabelSource } from './model/synsets.ts';
import type { JobRequest } from './request.ts';

export type Parsed<V> = { ok: true; value: V } | { ok: false; reason: string };

export interface Setting<V> {
  /** The CLI's flag and its argument's name. */
  flag: `--${string}`;
  arg: string;
  help: string;
  /** The value when none is given; null when each run decides (the help says from what). */
  default: V | null;
  /** The default as --help and the page show it, in the form `parse` reads. */
  shown: string;
  parse(text: string): Parsed<V>;
  choices?: readonly string[];
  /** A field on the page's form, in one of its groups, with words for its choices; absent for the CLI's alone. */
  field?: { group: 'images' | 'model' | 'run'; label: string; hint?: string; choiceLabels?: Readonly<Record<string, string>> };
  /** Kept in the run's record of settings, which the page lists with each run. */
  stored?: boolean;
}

/** Larger objects are an error for their row, never downloaded whole. */
export const MAX_OBJECT_BYTES = 256 * 1024 * 1024;
/** Refused outright: larger than any camera makes, the size of decompression bombs. */
export const MAX_PIXELS = 1_000_000_000;
const bad = (flag: string, what: string, text: string): Parsed<never> => ({ ok: false, reason: `${flag} takes ${what}, got ${JSON.stringify(text)}` });

function count(flag: string): (text: string) => Parsed<number> {
  return (text) => {
    const n = Number(text);
    return text.trim() !== '' && Number.isInteger(n) && n >= 1 ? { ok: true, value: n } : bad(flag, 'a whole number of at least 1', text);
  };
}

function choice<V extends string>(flag: string, choices: readonly V[]): (text: string) => Parsed<V> {
  return (text) => ((choices as readonly string[]).includes(text) ? { ok: true, value: text as V } : bad(flag, `one of ${choices.join(', ')}`, text));
}

/**
 * A count with an optional K, M or G: of 1024s for bytes (64M is 64 MiB), of 1000s for pixels
 * (50M is 50 megapixels), as cameras and disks are sold.
 */
export function quantity(flag: string, base: 1000 | 1024, example: string): (text: string) => Parsed<number> {
  return (text) => {
    const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
    const n = m ? Math.round(Number(m[1]) * base ** ' kmg'.indexOf((m[2] || ' ').toLowerCase())) : NaN;
    return Number.isSafeInteger(n) && n >= 1 ? { ok: true, value: n } : bad(flag, `a number with an optional K, M or G, such as ${example}`, text);
  };
}

const DEVICES = ['auto', ...DEVICE_NAMES] as const satisfies readonly RequestedDevice[];
const LABEL_SOURCES = ['auto', 'folder', 'none'] as const satisfies readonly LabelSource[];

export const SETTINGS = {
  device: { flag: '--device', arg: '<device>', help: 'where the model runs', default: 'auto', shown: 'auto', choices: DEVICES, parse: choice('--device', DEVICES), field: { group: 'model', label: 'Device' }, stored: true },
  dtype: {
    flag: '--dtype', arg: '<dtype>', help: 'model weights to use, each from its own file of the model\'s onnx/ folder: fewer bits are a smaller download and faster on WASM, at some cost in agreement with fp32',
    default: 'fp32', shown: 'fp32', choices: DTYPES, parse: choice('--dtype', DTYPES), stored: true,
    field: {
      group: 'model', label: 'Precision',
      choiceLabels: { fp32: '32-bit float (fp32)', fp16: '16-bit float (fp16)', q8: '8-bit (q8)', int8: '8-bit signed (int8)', uint8: '8-bit unsigned (uint8)', q4: '4-bit (q4)', q4f16: '4-bit, 16-bit float (q4f16)' },
    },
  },
  sessions: { flag: '--concurrency', arg: '<n>', help: 'inference sessions, one worker each; auto picks from the machine', default: null, shown: 'auto', parse: count('--concurrency'), field: { group: 'run', label: 'Sessions' }, stored: true },
  batchSize: { flag: '--batch-size', arg: '<n>', help: 'images per forward pass; auto picks from the device', default: null, shown: 'auto', parse: count('--batch-size'), field: { group: 'run', label: 'Batch size' }, stored: true },
  decoders: { flag: '--decoders', arg: '<n>', help: 'decode workers; auto picks from the machine and the model', default: null, shown: 'auto', parse: count('--decoders'), stored: true },
  threads: { flag: '--threads', arg: '<n>', help: 'WASM threads per session; auto picks from the machine and the model', default: null, shown: 'auto', parse: count('--threads') },
  fetchConcurrency: { flag: '--fetch-concurrency', arg: '<n>', help: 'downloads in flight', default: FETCH_CONCURRENCY, shown: String(FETCH_CONCURRENCY), parse: count('--fetch-concurrency') },
  topK: { flag: '--top-k', arg: '<k>', help: 'labels kept per image', default: 5, shown: '5', parse: count('--top-k'), field: { group: 'run', label: 'Top-k' }, stored: true },
  limit: { flag: '--limit', arg: '<n>', help: 'classify only the first n images', default: null, shown: 'all', parse: count('--limit'), field: { group: 'run', label: 'Limit' }, stored: true },
  applyExifOrientation: {
    flag: '--exif-orientation', arg: '<mode>', help: 'ignore EXIF orientation, as Pillow and the Python reference do, or apply it', default: false, shown: 'ignore', choices: ['ignore', 'apply'],
    parse: (text) => (text === 'ignore' || text === 'apply' ? { ok: true, value: text === 'apply' } : bad('--exif-orientation', 'ignore or apply', text)),
  },
  extensions: {
    flag: '--extensions', arg: '<list>', help: 'which files are images, by extension', default: [...IMAGE_EXTENSIONS], shown: IMAGE_EXTENSIONS.join(','),
    parse(text) {
      const list = parseExtensions(text);
      return list.ok && list.value.length ? { ok: true, value: list.value } : bad('--extensions', 'a comma-separated list such as jpg,png', text);
    },
    field: { group: 'run', label: 'Extensions', hint: 'which files are images' },
  },
  labelsFrom: {
    flag: '--labels-from', arg: '<source>', help: 'true labels: from the list or ImageNet folder ids (auto), the parent folder\'s name (folder), or none', default: 'auto', shown: 'auto', choices: LABEL_SOURCES,
    parse: choice('--labels-from', LABEL_SOURCES),
    field: { group: 'images', label: 'True labels', hint: 'for the evaluation', choiceLabels: { auto: 'from the list, or ImageNet folder ids', folder: 'the parent folder\'s name', none: 'none' } },
  },
  maxObjectBytes: { flag: '--max-object-size', arg: '<size>', help: 'larger files are an error for their row, never downloaded whole', default: MAX_OBJECT_BYTES, shown: '256M', parse: quantity('--max-object-size', 1024, '64M') },
  maxPixels: { flag: '--max-pixels', arg: '<n>', help: 'images whose header gives more pixels are an error for their row, never decoded', default: MAX_PIXELS, shown: '1000M', parse: quantity('--max-pixels', 1000, '50M') },
  maxListBytes: { flag: '--max-list-size', arg: '<size>', help: 'a list of images longer than this stops the run with the reason', default: MAX_LIST_BYTES, shown: '2G', parse: quantity('--max-list-size', 1024, '4G') },
  maxListLineBytes: { flag: '--max-list-line', arg: '<size>', help: 'a list line (a CSV record) longer than this stops the run with the reason', default: MAX_LIST_LINE_BYTES, shown: '64K', parse: quantity('--max-list-line', 1024, '1M') },
  requestTimeoutMs: {
    flag: '--request-timeout', arg: '<seconds>', help: 'a download or listing page that receives nothing for this long is tried again', default: REQUEST_TIMEOUT_MS, shown: String(REQUEST_TIMEOUT_MS / 1000),
    parse(text) {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) && n > 0 ? { ok: true, value: Math.round(n * 1000) } : bad('--request-timeout', 'a number of seconds above 0', text);
    },
  },
} satisfies { [K in keyof JobRequest]?: Setting<NonNullable<JobRequest[K]>> };

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = NonNullable<JobRequest[K]>;
/** Each setting's value; null where the run decides and none was given. */
export type SettingValues = { [K in SettingKey]: (typeof SETTINGS)[K]['default'] extends null ? SettingValue<K> | null : SettingValue<K> };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function settingOf<K extends SettingKey>(key: K): Setting<SettingValue<K>> {
  return SETTINGS[key] as unknown as Setting<SettingValue<K>>;
}

/** What was given, and the table's default for the rest. */
export function withDefaults(given: { [K in SettingKey]?: SettingValue<K> | null }): SettingValues {
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const key of SETTING_KEYS) out[key] = given[key] ?? settingOf(key).default;
  return out as SettingValues;
}

/** A request's value of a setting, or its default. */
export function valueOf<K extends SettingKey>(request: Partial<Pick<JobRequest, K>>, key: K): SettingValue<K> | null {
  return (request[key] as SettingValue<K> | null | undefined) ?? settingOf(key).default;
}
