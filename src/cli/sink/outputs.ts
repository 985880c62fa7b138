// The CLI's outputs (--out, --failures) over a run: opened before it, fed the rows as the run
// stores them, completed after it. Rows go out in the order the run stored them, so a file cut
// short (a killed process) holds a prefix of that order, and --resume goes on after its last row:
// the rows stored after it are written first, then the run's new ones. A file that does not
// match its run (edited, or from another run, or with other columns than the run writes) is
// written again from the store, as are outputs that cannot be appended to (S3, presigned URLs)
// and, with --retry-failed, every output.

import { rename, rm } from 'node:fs/promises';
import type { ResultRow } from '../../store/records.ts';
import { exportOptions, type ExportOptions } from '../../store/export.ts';
import { csvHeader, encoder, parquetSchemaOf, type OutputKind } from '../../store/export-stream.ts';
import { nodeS3Credentials } from '../credentials.ts';
import type { S3Options } from '../inputs.ts';
import type { Destination } from '../output.ts';
import { recoverFile, type Found } from './recover.ts';
import { openSink, type Sink } from './sink.ts';
import { fileTarget, httpTarget, PRESIGNED_NOTE, s3Target, type Target } from './targets.ts';

/** What the CLI reads of the run's rows in the page's store. */
export interface StoredRows {
  byOrder(afterOrder: number, limit: number): Promise<ResultRow[]>;
  standing(path: string, failuresOnly: boolean): Promise<{ order: number; upTo: number } | null>;
  count(): Promise<number>;
}

/** A new run's outputs start empty; a resumed run's go on; a retry's are written again at the end. */
export type OutputPlan = 'new' | 'resume' | 'rewrite';

export interface Output {
  to: Destination;
  kind: OutputKind;
}

export interface Outputs {
  /** Rows as the run stores them, in that order. */
  take(rows: readonly ResultRow[]): Promise<void>;
  /** After the run: the rows the stream did not carry, then every output completed. Rows in --out. */
  finish(store: StoredRows): Promise<number>;
  abort(): Promise<void>;
  /** What the user should know about how the outputs are written. */
  notes: string[];
}

const PAGE = 1000;

function targetFor(to: Destination, mode: 'new' | 'append', s3: S3Options): Promise<Target> | Target {
  if (to.kind === 'file') return fileTarget(to.path, mode);
  if (to.kind === 's3') return nodeS3Credentials().then((credentials) => s3Target(to.bucket, to.key, to.format, s3, credentials));
  return httpTarget(to.url, to.format);
}

async function fresh(out: Output, s3: S3Options, options: ExportOptions, path?: string): Promise<Sink> {
  const to = path && out.to.kind === 'file' ? { ...out.to, path } : out.to;
  return openSink(await targetFor(to, 'new', s3), encoder(to.format, out.kind, { ...options, footers: to.kind === 'file' }), { kind: out.kind, grouped: to.format === 'parquet', fresh: true });
}

/** Rows the store holds after the sink's last one, a page at a time. */
async function catchUp(sink: Sink, store: StoredRows): Promise<void> {
  for (;;) {
    const rows = await store.byOrder(sink.lastOrder, PAGE);
    if (!rows.length) return;
    await sink.append(rows);
  }
}

/** Goes on after what a local file holds, if it is a prefix of the run's store order; null if not. */
async function goOn(out: Output & { to: { kind: 'file' } }, found: Found, store: StoredRows, s3: S3Options, options: ExportOptions): Promise<Sink | null> {
  if (!found.lastPath) return null;
  const at = await store.standing(found.lastPath, out.kind === 'failures');
  if (!at || at.upTo !== found.rows) return null;
  const target = await targetFor(out.to, 'append', s3);
  return openSink(target, encoder(out.to.format, out.kind, { ...options, footers: true, resume: found.parquet }), { kind: out.kind, grouped: out.to.format === 'parquet', fresh: false, rowsThere: found.rows, lastOrder: at.order });
}

/** What a schema element says of its column, as written and as read back alike. */
const signature = (e: { name: string; type?: string; repetition_type?: string; num_children?: number; converted_type?: string }) => [e.name, e.type, e.repetition_type, e.num_children, e.converted_type].map((v) => v ?? '').join('|');
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Whether a file written before has the columns this run writes: rows of another schema (an
 * earlier run's, without embeddings, say) cannot follow its own. A file with no header or footer
 * left is started again anyway.
 */
function sameColumns(found: Found, out: Output, options: ExportOptions): boolean {
  if (out.to.format === 'csv') return !found.header || sameList(found.header, csvHeader(out.kind, options));
  if (out.to.format === 'parquet') return !found.parquet || sameList(found.parquet.metadata.schema.map(signature), parquetSchemaOf(out.kind, options).map(signature));
  return true;
}

async function resumed(out: Output, store: StoredRows, s3: S3Options, notes: string[], options: ExportOptions): Promise<Sink> {
  let sink: Sink | null = null;
  if (out.to.kind === 'file') {
    const found = await recoverFile(out.to.path, out.to.format);
    const fits = !found || sameColumns(found, out, options);
    sink = found && fits ? await goOn(out as Output & { to: { kind: 'file' } }, found, store, s3, options) : null;
    if (found?.rows && !fits) notes.push(`${out.to.shown} has other columns than this run writes: written again`);
    else if (found?.rows && !sink) notes.push(`${out.to.shown} does not end with rows of this run in the order it stored them: written again`);
  }
  sink ??= await fresh(out, s3, options);
  await catchUp(sink, store);
  return sink;
}

/** The whole output from the store, to a file beside it that takes its name at the end. */
async function rewrite(out: Output, store: StoredRows, s3: S3Options, options: ExportOptions): Promise<number> {
  const temp = out.to.kind === 'file' ? `${out.to.path}.partial` : undefined;
  const sink = await fresh(out, s3, options, temp);
  try {
    await catchUp(sink, store);
    await sink.close();
  } catch (error) {
    await sink.abort();
    if (temp) await rm(temp, { force: true });
    throw error;
  }
  if (temp && out.to.kind === 'file') await rename(temp, out.to.path);
  return sink.rows;
}

/**
 * `options` are the run's own (exportOptions of its request: a resumed run's, as it was started),
 * the settings' defaults when left out.
 */
export async function openOutputs(outputs: readonly Output[], plan: OutputPlan, prior: StoredRows | null, s3: S3Options, options: ExportOptions = exportOptions()): Promise<Outputs> {
  const notes: string[] = [];
  const sinks: Array<Sink | null> = [];
  try {
    for (const out of outputs) {
      if (plan === 'rewrite') sinks.push(null);
      else sinks.push(plan === 'resume' && prior ? await resumed(out, prior, s3, notes, options) : await fresh(out, s3, options));
    }
  } catch (error) {
    for (const sink of sinks) await sink?.abort();
    throw error;
  }
  for (const out of outputs) if (out.to.kind === 'http') notes.push(`${out.to.shown}: ${PRESIGNED_NOTE}`);
  return {
    notes,
    async take(rows) {
      for (const sink of sinks) await sink?.append(rows);
    },
    async finish(store) {
      let rows = 0;
      for (let i = 0; i < outputs.length; i++) {
        const sink = sinks[i];
        const out = outputs[i]!;
        let written: number;
        if (!sink) written = await rewrite(out, store, s3, options);
        else {
          await catchUp(sink, store);
          await sink.close();
          written = sink.rows;
          // The stream and the store must agree; if anything was missed, the store is the truth.
          if (out.kind === 'results' && written !== (await store.count())) {
            notes.push(`${out.to.shown} had ${written} rows where the run stored ${await store.count()}: written again`);
            written = await rewrite(out, store, s3, options);
          }
        }
        if (out.kind === 'results') rows = written;
      }
      return rows;
    },
    async abort() {
      for (const sink of sinks) await sink?.abort();
    },
  };
}
