// Command-line entry: flags in, one sentence and a non-zero exit for anything wrong with them.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTING_KEYS, settingOf, type SettingKey, type SettingValues } from '../settings.ts';
import { classify as runClassify, EXIT, type Console } from './classify.ts';
import { merge } from './merge.ts';
import { jsonLines, logLines, terminalBar } from './progress.ts';
import { evaluationLines, failureLines } from './report.ts';
import { parseShard, resolveShard } from './shard-flags.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_MODEL = 'google/vit-base-patch16-224';

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

/** Where output goes: a person at a terminal, a log, or a program reading --json. */
export function terminal(json: boolean): Console {
  const tty = process.stderr.isTTY === true && !json;
  const progress = json ? jsonLines((l) => console.log(l)) : tty ? terminalBar(process.stderr) : logLines((l) => console.error(l));
  return {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    progress,
    onKey: process.stdin.isTTY && tty
      ? (handler) => {
        process.stdin.setRawMode(true);
        process.stdin.resume();
        process.stdin.setEncoding('utf8');
        process.stdin.on('data', handler);
        return () => {
          process.stdin.off('data', handler);
          process.stdin.setRawMode(false);
          process.stdin.pause();
        };
      }
      : undefined,
    report(e, f) {
      if (json) {
        if (e.labelled) {
          console.log(JSON.stringify({
            type: 'evaluation', labelled: e.labelled, accuracy: e.accuracy, top5_accuracy: e.top5Accuracy, failed_labelled: e.failedLabelled,
            per_class: e.perClass.map((c) => ({ label: c.label, support: c.support, predicted: c.predicted, precision: c.precision, recall: c.recall })),
          }));
        }
        if (f.total) console.log(JSON.stringify({ type: 'failures', total: f.total, by_cause: f.byCause }));
        return;
      }
      for (const line of [...evaluationLines(e), ...failureLines(f)]) console.error(line);
    },
    summary(s) {
      if (json) {
        console.log(JSON.stringify({ type: 'summary', state: s.state, images: s.images, errors: s.errors, seconds: Number(s.seconds.toFixed(3)), rate: Number(s.rate.toFixed(3)), computed: s.computed, resumed: s.resumed, cached: s.cached, first_row_s: s.firstRowSeconds === null ? null : Number(s.firstRowSeconds.toFixed(3)), out: s.out }));
        return;
      }
      const how = s.state === 'cancelled' ? ' (cancelled)' : '';
      // The rate is of the images this process computed: rows found stored or reused are apart.
      const apart = s.resumed || s.cached ? `; ${s.resumed} resumed, ${s.cached} reused` : '';
      console.log(`classified ${s.images} images (${s.errors} errors) in ${s.seconds.toFixed(1)} s, ${s.rate.toFixed(2)} images/s${how}${apart}`);
    },
  };
}

/** The S3 endpoint and region as given, else as the AWS variables every AWS tool reads say. */
function s3Given(o: { s3Endpoint?: string; s3Region?: string }, env = process.env): { s3Endpoint?: string; s3Region?: string } {
  const pick = (...values: Array<string | undefined>) => values.find((v) => v !== undefined && v !== '');
  return { s3Endpoint: pick(o.s3Endpoint, env.AWS_ENDPOINT_URL_S3, env.AWS_ENDPOINT_URL), s3Region: pick(o.s3Region, env.AWS_REGION, env.AWS_DEFAULT_REGION) };
}

export async function main(argv: string[], io?: Console): Promise<number> {
  let status = 0;
  const program = new Command()
    .name('tench')
    .description('Classify every image of a dataset with a Vision Transformer, in a headless browser.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  const classify = program
    .command('classify')
    .description('classify the images of a folder, an S3 prefix or a list of URLs')
    .argument('<dataset>', 'a local folder, s3://[anonymous@]bucket/prefix/, or a list of images (.txt, .csv or .jsonl; a local file or an http(s) URL; a local list\'s relative entries are files beside it)')
    .option('--model <id|folder>', 'a Hugging Face Hub id or a local model folder', DEFAULT_MODEL)
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
      const con = io ?? terminal(o.json);
      const shard = resolveShard({ shard: o.shard, shards: o.shards }, process.env);
      if (!shard.ok) {
        con.err(`tench: ${shard.reason}`);
        status = EXIT.usage;
        return;
      }
      status = await runClassify(ROOT, {
        dataset,
        model: o.model,
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
        ...s3Given(o),
        browser: o.browser,
        headed: o.headed,
      }, con);
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
      status = await merge({ inputs: parts, out: o.out, expectFrom: o.expectFrom, ...s3Given(o) }, io ?? { out: (l) => console.log(l), err: (l) => console.error(l) });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not failures; commander has already printed its one sentence.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    console.error(`tench: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failed;
  }
}
