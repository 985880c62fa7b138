// Command-line entry: flags in, one sentence and a non-zero exit for anything wrong with them.

import { Command, CommanderError, type OptionValues } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Console } from './classify.ts';
import { classifyOptions, declareClassifyOptions, readFlags } from './classify-flags.ts';
import { EXIT, exitOf, type Refusal } from './exit.ts';
import { printable } from './printable.ts';
import { s3Given, s3Options } from './s3-flags.ts';
import { steer } from './steering.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
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

/** One sentence on stderr, and the status the refusal carries. */
function refuse(refusal: Refusal, err: (line: string) => void): number {
  err(`tench: ${refusal.reason}`);
  return exitOf(refusal);
}

/** Each command's action sets the status the process exits with. */
type Done = (status: number) => void;

function addClassify(program: Command, io: Console | undefined, done: Done): void {
  const command = program
    .command('classify')
    .description('classify the images of a folder, an S3 prefix or a list of URLs')
    .addHelpText('after', EXAMPLES)
    .argument('<dataset>', 'a local folder, s3://[anonymous@]bucket/prefix/, or a list of images (.txt, .csv or .jsonl; a local file or an http(s) URL; a local list\'s relative entries are files beside it), or WebDataset .tar shards and .parquet files (a file, a brace pattern such as train-{000000..000099}.tar, or any of the above listing them)');
  const declared = declareClassifyOptions(command);
  command.action(async (dataset: string, flags: OptionValues) => {
    // Before anything slow: from here a pause or a cancel is tench's to handle, not the death
    // of the process that the signals' default actions would be.
    const steering = steer();
    try {
      // Loaded only to run: --help and a bad flag answer without the browser driver, the AWS SDK
      // and the rest of what a run needs.
      const [{ classify }, { terminal }] = await Promise.all([import('./classify.ts'), import('./terminal.ts')]);
      const con = io ?? terminal(flags.json === true);
      const options = await classifyOptions(dataset, readFlags(flags, declared), process.env);
      done(options.ok ? await classify(ROOT, options.value, con, steering) : refuse(options, con.err));
    } finally {
      steering.detach();
    }
  });
}

function addMerge(program: Command, io: Console | undefined, done: Done): void {
  const command = program
    .command('merge')
    .description('join the part files of a sharded run into one file sorted by path, checking that each part and each image is there once')
    .argument('<parts...>', 'part files (.jsonl, .csv or .parquet), local or s3:// keys, such as results/part-*.parquet')
    .requiredOption('--out <file>', 'the merged file: .jsonl, .csv or .parquet, an s3:// key or a presigned https URL')
    .option('--expect-from <dataset>', 'also check that every image of this dataset (a folder, an s3:// prefix or a list URL) has exactly one row');
  for (const option of s3Options()) command.addOption(option);
  command.action(async (parts: string[], o: OptionValues) => {
    const { merge } = await import('./merge.ts');
    // A part's paths are the dataset's own text: printed, never obeyed.
    const lines = io ?? { out: (l: string) => console.log(printable(l)), err: (l: string) => console.error(printable(l)) };
    const s3 = await s3Given(o);
    done(s3.ok ? await merge({ inputs: parts, out: o.out, expectFrom: o.expectFrom, ...s3.value }, lines) : refuse(s3, lines.err));
  });
}

function addBuild(program: Command, io: Console | undefined, done: Done): void {
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
        done(EXIT.failed);
      }
    });
}

export async function main(argv: string[], io?: Console): Promise<number> {
  let status = 0;
  const done: Done = (s) => {
    status = s;
  };
  const program = new Command()
    .name('tench')
    .description('Classify every image of a dataset with a Vision Transformer, in a headless browser.')
    .version(VERSION, '-V, --version', 'print the version')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  addClassify(program, io, done);
  addMerge(program, io, done);
  addBuild(program, io, done);

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
