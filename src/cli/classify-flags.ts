// `tench classify`'s options, in the order --help lists them, and what they resolve to: the
// ClassifyOptions a run starts with (classify.ts). The run's inputs come from the settings table;
// the options declared here are the command's own.

import { Option, type Command, type OptionValues } from 'commander';
import { INPUTS, SETTING_KEYS, inputOf, settingOf, type InputKey, type InputValue, type SettingKey, type SettingValues } from '../settings.ts';
import type { Sample } from '../datasets/sample.ts';
import type { Shard } from '../datasets/shard.ts';
import type { ExportFormat } from '../store/export.ts';
import type { Outcome } from './exit.ts';
import { fromEnv, givenValues, tableOption } from './options.ts';
import { s3Given } from './s3-flags.ts';
import { resolveShard } from './shard-flags.ts';

type Env = Record<string, string | undefined>;

/** What a run starts with: every flag read, and resolved where a variable or a default stands in for it. */
export interface ClassifyOptions {
  dataset: string;
  sample?: Sample | null;
  /** --label-map's file, { "your class name": "the model's label" }: read before the run starts (checks.ts). */
  labelMap?: string;
  model: string;
  /** For a Hub id: a mirror in the Hub's layout ($HF_ENDPOINT), the revision, and the token ($HF_TOKEN). */
  hub?: { endpoint?: string; revision?: string; token?: string };
  out: string;
  /** A second file with the failed images alone. */
  failures?: string;
  /** Where runs are kept between invocations; see state.ts. */
  state?: string;
  /** Go on with the newest unfinished run of this dataset and model, or start one. */
  resume: boolean;
  /** Classify again the images that failed in the newest run of this dataset and model. */
  retryFailed: boolean;
  /** The run settings given (settings.ts); the table's defaults for the rest. */
  settings: Partial<SettingValues>;
  s3Endpoint?: string;
  s3Region?: string;
  browser?: string;
  headed: boolean;
  /** Only this shard's images; see shard-flags.ts. */
  shard: Shard | null;
  /** The format of a part file when --out (or --failures) names a folder. */
  format?: ExportFormat;
}

/** The command's own options: where the results go, the runs kept, the browser, the terminal. */
function ownOptions() {
  return {
    out: new Option('--out <file>', 'where to write the results: a .jsonl, .csv or .parquet file, an s3:// key or a presigned https URL; a folder or s3:// prefix ending in / gets part-NNNNN-of-NNNNN.<format> (default results.jsonl, or results.<format>)'),
    format: new Option('--format <format>', 'the format of a part file when --out names a folder (default jsonl)').choices(['jsonl', 'csv', 'parquet']),
    failures: new Option('--failures <file>', 'also write the failed images alone, with their causes (same kinds of destination)'),
    state: new Option('--state <dir>', 'where runs are kept between invocations (default: $TENCH_STATE, else ~/.local/state/tench)'),
    resume: new Option('--resume', 'go on with the newest unfinished run of this dataset and model, or start one').default(false),
    retryFailed: new Option('--retry-failed', 'classify again the images that failed in the newest run of this dataset and model').default(false),
    browser: new Option('--browser <path>', 'the Chrome or Chromium to drive (default: $TENCH_BROWSER, then one found here)'),
    headed: new Option('--headed', 'show the browser window, for debugging').default(false),
    json: new Option('--json', 'progress and the summary as JSON lines on stdout').default(false),
  };
}

type OwnKey = keyof ReturnType<typeof ownOptions>;

type Key = SettingKey | InputKey | OwnKey;

/** Every option in its place: one left out of the order fails to compile, naming it. */
function everyOption<const T extends readonly Key[]>(order: T & ([Exclude<Key, T[number]>] extends [never] ? unknown : { unlisted: Exclude<Key, T[number]> })): T {
  return order;
}

/** What --help lists, in this order: the model, the outputs, the runs kept, which images, the S3 server, how it runs, the limits, the browser. */
const HELP_ORDER = everyOption([
  'model', 'revision', 'device', 'dtype',
  'out', 'format', 'failures',
  'state', 'resume', 'retryFailed',
  'limit', 'sample', 'seed', 'shard', 'shards', 'extensions', 'labelsFrom', 'labelMap', 'imageColumn', 'keepColumns', 'embeddings',
  's3Endpoint', 's3Region',
  'sessions', 'batchSize', 'decoders', 'threads', 'fetchConcurrency', 'topK', 'applyExifOrientation',
  'maxObjectBytes', 'maxPixels', 'maxListBytes', 'maxListLineBytes', 'requestTimeoutMs',
  'browser', 'headed', 'json',
]);

/** The options as added to the command, by their keys: what the flags read back is found by them. */
export interface Declared {
  settings: ReadonlyMap<SettingKey, Option>;
  inputs: ReadonlyMap<InputKey, Option>;
  /** Settings whose flag names a file: its name, read once the run starts. */
  files: ReadonlyMap<SettingKey, Option>;
}

const isSetting = (key: string): key is SettingKey => (SETTING_KEYS as readonly string[]).includes(key);
const isInput = (key: string): key is InputKey => key in INPUTS;

export function declareClassifyOptions(command: Command): Declared {
  const own = ownOptions();
  const settings = new Map<SettingKey, Option>();
  const inputs = new Map<InputKey, Option>();
  const files = new Map<SettingKey, Option>();
  for (const key of HELP_ORDER) {
    if (isSetting(key)) {
      const option = tableOption(settingOf(key));
      (settingOf(key).file ? files : settings).set(key, option);
      command.addOption(option);
    } else if (isInput(key)) {
      const option = tableOption(inputOf(key));
      inputs.set(key, option);
      command.addOption(option);
    } else {
      command.addOption(own[key]);
    }
  }
  return { settings, inputs, files };
}

interface OwnFlags {
  out?: string;
  format?: ExportFormat;
  failures?: string;
  state?: string;
  resume: boolean;
  retryFailed: boolean;
  browser?: string;
  headed: boolean;
  json: boolean;
}

/** What commander read, typed: the table's parsers made each value. */
export interface ClassifyFlags {
  own: OwnFlags;
  settings: Partial<SettingValues>;
  inputs: { [K in InputKey]?: InputValue<K> };
  files: Partial<Record<SettingKey, string>>;
}

export function readFlags(flags: OptionValues, declared: Declared): ClassifyFlags {
  return {
    own: flags as OwnFlags,
    settings: givenValues(flags, declared.settings) as Partial<SettingValues>,
    inputs: givenValues(flags, declared.inputs) as ClassifyFlags['inputs'],
    files: givenValues(flags, declared.files) as ClassifyFlags['files'],
  };
}

/**
 * The options a run starts with: the shard from --shard, --shards and the batch system's
 * variables, the S3 server and the model from their flags or variables, the sample with its seed.
 * A refusal is one sentence, a usage error where what was typed is wrong.
 */
export async function classifyOptions(dataset: string, flags: ClassifyFlags, env: Env): Promise<Outcome<ClassifyOptions>> {
  const { shard: shardFlag, sample, ...settings } = flags.settings;
  const shard = resolveShard({ shard: shardFlag ?? undefined, shards: flags.inputs.shards }, env);
  if (!shard.ok) return shard;
  const s3 = await s3Given(flags.inputs, env);
  if (!s3.ok) return s3;
  const { own, inputs } = flags;
  return {
    ok: true,
    value: {
      dataset,
      model: inputs.model ?? fromEnv(INPUTS.model, env)?.value ?? INPUTS.model.default,
      hub: { endpoint: env.HF_ENDPOINT || undefined, revision: inputs.revision ?? INPUTS.revision.default, token: env.HF_TOKEN || undefined },
      out: own.out ?? `results.${own.format ?? 'jsonl'}`,
      format: own.format,
      shard: shard.value,
      sample: sample ? { ...sample, seed: inputs.seed ?? INPUTS.seed.default } : null,
      labelMap: flags.files.labelMap,
      failures: own.failures,
      state: own.state,
      resume: own.resume,
      retryFailed: own.retryFailed,
      settings,
      ...s3.value,
      browser: own.browser,
      headed: own.headed,
    },
  };
}
