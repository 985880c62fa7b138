// Which shard this process classifies, from --shard i/n or from the environment a batch system
// gives each of its tasks; and the name of a shard's output file, which `tench merge` reads back.

import type { Shard } from '../datasets/shard.ts';
import { INPUTS, SHARD_INDEX_VARIABLES, settingOf } from '../settings.ts';
import type { ExportFormat } from '../store/export.ts';
import { usage, type Outcome } from './exit.ts';

type Env = Record<string, string | undefined>;

const COUNT_VARIABLE = INPUTS.shards.env[0];

const WHOLE = /^\d+$/;

/** `i/n` with 0 <= i < n, as the settings table reads it; a refusal is a usage error. */
export function parseShard(value: string): Outcome<Shard> {
  const parsed = settingOf('shard').parse(value);
  return parsed.ok ? parsed : usage(parsed.reason);
}

/**
 * --shard wins; else the index from the batch system and the count from --shards or TENCH_SHARDS.
 * null: not sharded. A count without an index, or an index without a count, is a mistake in the
 * job's setup, not a reason to classify the whole dataset in every task. Every refusal is a usage
 * error (exit 2): each task of the job would fail the same way.
 */
export function resolveShard(flags: { shard?: Shard; shards?: number }, env: Env): Outcome<Shard | null> {
  if (flags.shard) {
    if (flags.shards !== undefined && flags.shards !== flags.shard.count) {
      return usage(`--shard ${flags.shard.index}/${flags.shard.count} and --shards ${flags.shards} disagree on the number of shards`);
    }
    return { ok: true, value: flags.shard };
  }
  const indexName = SHARD_INDEX_VARIABLES.find((name) => (env[name] ?? '').trim() !== '');
  const countText = env[COUNT_VARIABLE]?.trim();
  const countFrom = flags.shards !== undefined ? '--shards' : COUNT_VARIABLE;
  if (countText && flags.shards === undefined && (!WHOLE.test(countText) || Number(countText) < 1)) {
    return usage(`${COUNT_VARIABLE} must be a whole number of at least 1, got ${JSON.stringify(countText)}`);
  }
  const count = flags.shards ?? (countText ? Number(countText) : undefined);
  if (!indexName) {
    return count === undefined
      ? { ok: true, value: null }
      : usage(`${countFrom} says ${count} shards but not which one this is: pass --shard i/${count}, or run as a Kubernetes Indexed Job (${SHARD_INDEX_VARIABLES[0]}) or an AWS Batch array job (${SHARD_INDEX_VARIABLES[1]})`);
  }
  const indexText = env[indexName]!.trim();
  if (!WHOLE.test(indexText)) return usage(`${indexName} must be a whole number, got ${JSON.stringify(indexText)}`);
  const index = Number(indexText);
  if (count === undefined) {
    return usage(`${indexName} is ${index} but the number of shards is unknown: pass --shards N or set ${COUNT_VARIABLE} (in a Kubernetes Indexed Job, to the Job's completions)`);
  }
  if (index >= count) return usage(`${indexName} is ${index}, not below the ${count} shards that ${countFrom} gives`);
  return { ok: true, value: { index, count } };
}

/** Shard numbers as Spark and Hadoop write them: five digits, more when needed. */
function padded(n: number): string {
  return String(n).padStart(5, '0');
}

/** `part-00003-of-00016`: a shard's file name without its extension. */
export function partStem(shard: Shard, base = 'part'): string {
  return `${base}-${padded(shard.index)}-of-${padded(shard.count)}`;
}

/** `part-00003-of-00016.parquet`: the shard's results in a folder or an S3 prefix. */
export function partName(shard: Shard, format: ExportFormat, base = 'part'): string {
  return `${partStem(shard, base)}.${format}`;
}

/** The shard a file named by partName holds; null for any other name. */
export function partOf(fileName: string): Shard | null {
  const m = /(?:^|[/\\])part-(\d{5,})-of-(\d{5,})\.[a-z]+$/i.exec(fileName);
  if (!m) return null;
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  return shard.index < shard.count ? shard : null;
}
