// Command-line entry: flags in, one sentence and a non-zero exit for anything wrong with them.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTING_KEYS, settingOf, type SettingKey, type SettingValues } from '../settings.ts';
import type { Console } from './classify.ts';
import { EXIT, exitOf, usage, type Outcome, type Refusal } from './exit.ts';
import { printable } from './printable.ts';
import { parseShard, resolveShard } from './shard-flags.ts';
import { steer } from './steering.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_MODEL = 'google/vit-base-patch16-224';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const EXAMPLES = `
Examples:
  tench classify public/samples --model public/models/tench-tiny-vit --out results.jsonl
      the bundled images with the bundled demo model, offline
  tench classify s3://anonymous@air-example-data-2/imagenette2/val/ --out imagenette.parquet
      Imagenette's validation set with ViT-B/16 from the Hub, as Ray's example does
  tench classify ./photos --resume --out photos.csv
      a folder, going on with the last run of it if it did not finish
  JOB_COMPLETION_INDEX=3 tench classify images.csv --shards 16 --out s3://my-bucket/parts/
      shard 3 of 16, as a Kubernetes Indexed Job runs it; then: tench merge parts/part-*.parquet --out all.parquet
`;

function positive(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} takes a whole number of at least 1, got ${JSON.stringify(value)}`);
    return n;
  };
}

function wholeNumber(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} takes a whole number, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** A run setting's option, from the table: its flag, help, default and parser. */
function settingOption(key: SettingKey): Option {
  const s = settingOf(key);
  const option = new Option(`${s.flag} ${s.arg}`, `${s.help} (default: ${s.shown})`);
  if (s.choices) option.choices(s.choices);
  // After choices(), which would otherwise keep the text as it is.
  return option.argParser((text: string) => {
    const parsed = s.parse(text);
    if (!parsed.ok) throw new InvalidArgumentError(parsed.reason);
    return parsed.value;
  });
}

/** The settings given on the command line, typed by the table. */
function givenSettings(options: Record<string, unknown>, added: ReadonlyMap<SettingKey, Option>): Partial<SettingValues> {
  const given: Partial<Record<SettingKey, unknown>> = {};
  for (const [key, option] of added) if (options[option.attributeName()] !== undefined) given[key] = options[option.attributeName()];
  return given as Partial<SettingValues>;
}

function shardArg(value: string) {
  const shard = parseShard(value);
  if (!shard.ok) throw new InvalidArgumentError(shard.reason);
  return shard.value;
}

interface S3Given {
  s3Endpoint?: string;
  s3Region?: string;
}

/**
 * The S3 endpoint and region as given, else as the AWS variables every AWS tool reads say. An
 * endpoint that is no URL is a usage error, named by where it came from.
 */
async function s3Given(o: S3Given, env = process.env): Promise<Outcome<S3Given>> {
  const pick = (...named: Array<[string, string | undefined]>) => named.find(([, v]) => v !== undefined && v !== '');
  const endpoint = pick(['--s3-endpoint', o.s3Endpoint], ['AWS_ENDPOINT_URL_S3', env.AWS_ENDPOINT_URL_S3], ['AWS_ENDPOINT_URL', env.AWS_ENDPOINT_URL]);
  const region = pick(['--s3-region', o.s3Region], ['AWS_REGION', env.AWS_REGION], ['AWS_DEFAULT_REGION', env.AWS_DEFAULT_REGION]);
  // Loaded here, not with this module: it brings the AWS SDK, which --help does without.
  const { isEndpointUrl } = await import('../datasets/s3.ts');
  if (endpoint && !isEndpointUrl(endpoint[1]!)) return usage(`${endpoint[0]} ${endpoint[1]} is not an http(s) URL, such as http://localhost:9000`);
  return { ok: true, value: { s3Endpoint: endpoint?.[1], s3Region: region?.[1] } };
}

/** One sentence on stderr, and the status the refusal carries. */
function refuse(refusal: Refusal, err: (line: string) => void): number {
  err(`tench: ${refusal.reason}`);
  return exitOf(refusal);
}

export async function main(argv: string[], io?: Console): Promise<number> {
  let status = 0;
  const program = new Command()
    .name('tench')
    .description('Classify every image of a dataset with a Vision Transformer, in a headless browser.')
    .version(VERSION, '-V, --version', 'print the version')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  const classify = program
    .command('classify')
    .description('classify the images of a folder, an S3 prefix or a list of URLs')
    .addHelpText('after', EXAMPLES)
    .argument('<dataset>', 'a local folder, s3://[anonymous@]bucket/prefix/, or a list of images (.txt, .csv or .jsonl; a local file or an http(s) URL; a local list\'s relative entries are files beside it)')
    .option('--model <id|folder>', `a Hugging Face Hub id or a local model folder (default: $TENCH_MODEL, else ${DEFAULT_MODEL})`)
    .option('--revision <rev>', 'the branch, tag or commit of a Hub model (the Hub: $HF_ENDPOINT, else huggingface.co; a token for gated or private models: $HF_TOKEN)', 'main')
    .option('--out <file>', 'where to write the results: a .jsonl, .csv or .parquet file, an s3:// key or a presigned https URL; a folder or s3:// prefix ending in / gets part-NNNNN-of-NNNNN.<format> (default results.jsonl, or results.<format>)')
    .addOption(new Option('--format <format>', 'the format of a part file when --out names a folder (default jsonl)').choices(['jsonl', 'csv', 'parquet']))
    .option('--shard <i/n>', 'classify only shard i of n (0-based): the images whose path hashes to i', shardArg)
    .option('--shards <n>', 'the number of shards, with the index from $JOB_COMPLETION_INDEX or $AWS_BATCH_JOB_ARRAY_INDEX (default $TENCH_SHARDS)', positive('--shards'))
    .option('--failures <file>', 'also write the failed images alone, with their causes (same kinds of destination)')
    .option('--state <dir>', 'where runs are kept between invocations (default: $TENCH_STATE, else ~/.local/state/tench)')
    .option('--resume', 'go on with the newest unfinished run of this dataset and model, or start one', false)
    .option('--retry-failed', 'classify again the images that failed in the newest run of this dataset and model', false)
    .option('--sample <n>', 'a random subset of n images, the same for the same --seed whatever the listing order', positive('--sample'))
    .option('--seed <s>', 'the seed of --sample', wholeNumber('--seed'), 0)
    .option('--label-map <file>', 'a JSON object mapping your class names (folder names or list labels) to the model\'s labels')
    .option('--s3-endpoint <url>', 'an S3-compatible server (MinIO, R2, s3rver) (default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL)')
    .option('--s3-region <region>', 'the bucket\'s region (default: $AWS_REGION, then $AWS_DEFAULT_REGION, then us-east-1)')
    .option('--browser <path>', 'the Chrome or Chromium to drive (default: $TENCH_BROWSER, then one found here)')
    .option('--headed', 'show the browser window, for debugging', false)
    .option('--json', 'progress and the summary as JSON lines on stdout', false);
  const settings = new Map(SETTING_KEYS.map((key) => [key, settingOption(key)] as const));
  for (const option of settings.values()) classify.addOption(option);
  classify
    .action(async (dataset: string, o) => {
      // Before anything slow: from here a pause or a cancel is tench's to handle, not the death
      // of the process that the signals' default actions would be.
      const steering = steer();
      try {
        // Loaded only to run: --help and a bad flag answer without the browser driver, the AWS SDK
        // and the rest of what a run needs.
        const [{ classify: runClassify }, { terminal }] = await Promise.all([import('./classify.ts'), import('./terminal.ts')]);
        const con = io ?? terminal(o.json);
        const shard = resolveShard({ shard: o.shard, shards: o.shards }, process.env);
        if (!shard.ok) {
          status = refuse(shard, con.err);
          return;
        }
        const s3 = await s3Given(o);
        if (!s3.ok) {
          status = refuse(s3, con.err);
          return;
        }
        status = await runClassify(ROOT, {
          dataset,
          model: o.model ?? (process.env.TENCH_MODEL || DEFAULT_MODEL),
          hub: { endpoint: process.env.HF_ENDPOINT || undefined, revision: o.revision, token: process.env.HF_TOKEN || undefined },
          out: o.out ?? `results.${o.format ?? 'jsonl'}`,
          format: o.format,
          shard: shard.value,
          sample: o.sample ? { count: o.sample, seed: o.seed } : null,
          labelMap: o.labelMap,
          failures: o.failures,
          state: o.state,
          resume: o.resume,
          retryFailed: o.retryFailed,
          settings: givenSettings(o, settings),
          ...s3.value,
          browser: o.browser,
          headed: o.headed,
        }, con, steering);
      } finally {
        steering.detach();
      }
    });

  program
    .command('merge')
    .description('join the part files of a sharded run into one file sorted by path, checking that each part and each image is there once')
    .argument('<parts...>', 'part files (.jsonl, .csv or .parquet), such as results/part-*.parquet')
    .requiredOption('--out <file>', 'the merged file: .jsonl, .csv or .parquet, an s3:// key or a presigned https URL')
    .option('--expect-from <dataset>', 'also check that every image of this dataset (a folder, an s3:// prefix or a list URL) has exactly one row')
    .option('--s3-endpoint <url>', 'an S3-compatible server, for --expect-from and --out (default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL)')
    .option('--s3-region <region>', 'the bucket\'s region (default: $AWS_REGION, then $AWS_DEFAULT_REGION, then us-east-1)')
    .action(async (parts: string[], o) => {
      const { merge } = await import('./merge.ts');
      // A part's paths are the dataset's own text: printed, never obeyed.
      const lines = io ?? { out: (l: string) => console.log(printable(l)), err: (l: string) => console.error(printable(l)) };
      const s3 = await s3Given(o);
      status = s3.ok ? await merge({ inputs: parts, out: o.out, expectFrom: o.expectFrom, ...s3.value }, lines) : refuse(s3, lines.err);
    });

  program
    .command('build')
    .description('build the app the CLI serves (dist/) if its sources changed: for an image or a package that ships it built')
    .action(async () => {
      const { ensureBuilt } = await import('./build.ts');
      const out = io ?? { out: (l: string) => console.log(l), err: (l: string) => console.error(l) };
      try {
        out.out(`the app is built in ${await ensureBuilt(ROOT, (l) => out.out(l))}`);
      } catch (error) {
        out.err(`tench: ${(error as Error).message}`);
        status = EXIT.failed;
      }
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not failures; commander has already printed its one sentence.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    console.error(printable(`tench: ${error instanceof Error ? error.message : String(error)}`));
    return EXIT.failed;
  }
}
