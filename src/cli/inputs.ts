// What the user typed -> what the page will run, checked here first, so that a run that cannot
// start says why in one sentence before any browser starts.

import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { s3AccessFor, type RemoteSpec } from '../datasets/remote.ts';
import type { DatasetSpec } from '../datasets/spec.ts';
import { expandBraces } from '../datasets/braces.ts';
import { isContainer } from '../datasets/containers.ts';
import { makeS3Client, type Credentials, type S3Access } from '../net/s3-client.ts';
import { isEndpointUrl, isS3HttpsUrl, parseS3Url } from '../datasets/s3.ts';
import { DATA_MANIFEST, localModelId, type RouteOptions } from '../server/routes.ts';
import { networkReason } from '../net/network-error.ts';
import { awsCredentials } from './credentials.ts';
import { reasonOf } from '../core/outcome.ts';
import type { Dtype } from '../core/device.ts';
import { DTYPE_FILES, dtypesAmong, missingDtypeFile } from '../model/model.ts';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface DatasetChoice {
  /** The spec, with the origin still to fill in for served folders. */
  /** The CLI serves a folder as a list, so what the page reads is always a list or a prefix. */
  spec: (origin: string) => RemoteSpec;
  routes: RouteOptions;
  credentials?: Credentials;
  describe: string;
}

export interface S3Options {
  endpoint?: string;
  region?: string;
}

/** Lists one key, so an unreachable or forbidden bucket fails here with its reason. */
async function probeBucket(access: S3Access, bucket: string, prefix: string): Promise<string | null> {
  const client = makeS3Client({ ...access, });
  try {
    await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }), { abortSignal: AbortSignal.timeout(15_000) });
    return null;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchBucket') return `bucket ${bucket} does not exist`;
    if (name === 'AccessDenied' || name === 'Forbidden') return `access to bucket ${bucket} was denied${access.credentials ? '' : ' (no AWS credentials were found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use s3://anonymous@ for a public bucket)'}`;
    const origin = access.endpoint ?? `https://${access.forcePathStyle ? '' : `${bucket}.`}s3.${access.region}.amazonaws.com`;
    return `bucket ${bucket} is unreachable${access.endpoint ? ` at ${access.endpoint}` : ''}: ${networkReason(error, origin) ?? reasonOf(error)}`;
  } finally {
    client.destroy();
  }
}

export async function chooseDataset(input: string, s3: S3Options): Promise<Checked<DatasetChoice>> {
  if (input.startsWith('s3://') || isS3HttpsUrl(input)) {
    const parsed = parseS3Url(input);
    if (!parsed.ok) return parsed;
    if (s3.endpoint && !isEndpointUrl(s3.endpoint)) return { ok: false, reason: `--s3-endpoint ${s3.endpoint} is not an http(s) URL` };
    const base: Extract<DatasetSpec, { kind: 's3' }> = { kind: 's3', url: input, endpoint: s3.endpoint ?? null, region: s3.region ?? null };
    const found = parsed.value.anonymous ? { ok: true as const, value: undefined } : await awsCredentials();
    if (!found.ok) return found;
    const credentials = found.value;
    const problem = await probeBucket(s3AccessFor(base, parsed.value.anonymous, credentials, parsed.value.region), parsed.value.bucket, parsed.value.prefix);
    if (problem) return { ok: false, reason: problem };
    // The page's S3 proxy may reach this endpoint, and AWS S3; nothing else.
    return { ok: true, value: { spec: () => base, routes: { s3Endpoints: s3.endpoint ? [s3.endpoint] : [] }, credentials, describe: input } };
  }
  if (isBracePattern(input)) return bracePattern(input);
  if (/^https?:\/\//.test(input)) {
    return { ok: true, value: { spec: () => ({ kind: 'manifest', url: input }), routes: {}, describe: input } };
  }
  const path = resolve(input);
  if (!existsSync(path)) return { ok: false, reason: `no such folder or list file: ${input}` };
  if (!statSync(path).isDirectory()) return isContainer(path) ? namedFiles(input, [path]) : localList(input, path);
  return {
    ok: true,
    // The folder is named in the URL (the server ignores the query) so that runs of two folders
    // served on the same origin are told apart when resuming.
    value: { spec: (origin) => ({ kind: 'manifest', url: `${origin}${DATA_MANIFEST}?folder=${encodeURIComponent(path)}` }), routes: { dataDir: path }, describe: path },
  };
}

/** A WebDataset-style name of many shards: train-{000000..000099}.tar, {a,b}.parquet. */
function isBracePattern(input: string): boolean {
  return /\{[^{}]*(\.\.|,)[^{}]*\}/.test(input) && !input.startsWith('s3://');
}

/** Every file a brace pattern names: local files served one by one, or URLs the page reads itself. */
function bracePattern(input: string): Checked<DatasetChoice> {
  const names = expandBraces(input);
  if (!names.ok) return names;
  const notData = names.value.find((name) => !isContainer(name));
  if (notData) return { ok: false, reason: `${input} names ${notData}, which is neither a .tar shard nor a .parquet file` };
  if (/^https?:\/\//.test(input)) {
    return { ok: true, value: { spec: (origin) => ({ kind: 'manifest', url: `${origin}${DATA_MANIFEST}?urls=${encodeURIComponent(input)}` }), routes: { dataUrls: names.value }, describe: input } };
  }
  const paths = names.value.map((name) => resolve(name));
  const missing = paths.filter((path) => !existsSync(path));
  if (missing.length) return { ok: false, reason: `${missing.length} of the ${paths.length} files ${input} names ${missing.length === 1 ? 'does' : 'do'} not exist, the first ${names.value[paths.indexOf(missing[0]!)]}` };
  return namedFiles(input, paths);
}

/**
 * Dataset files on this disk (tar shards, Parquet files), served by name and read by ranges; of
 * their folders nothing else.
 */
function namedFiles(input: string, paths: readonly string[]): Checked<DatasetChoice> {
  const seen = new Map<string, string>();
  for (const path of paths) {
    const again = seen.get(basename(path));
    if (again !== undefined) return { ok: false, reason: `${again} and ${path} have the same name, which would give their images the same paths` };
    seen.set(basename(path), path);
  }
  return {
    ok: true,
    value: {
      // What was given, in the query (the server ignores it): two datasets are told apart when resuming.
      spec: (origin) => ({ kind: 'manifest', url: `${origin}${DATA_MANIFEST}?files=${encodeURIComponent(paths.length === 1 ? paths[0]! : resolve(input))}` }),
      routes: { dataFiles: paths },
      describe: paths.length === 1 ? paths[0]! : input,
    },
  };
}

/** The list extensions a local file may have: the formats the manifest reader knows. */
const LIST_FILE = /\.(txt|csv|jsonl?)$/i;

/**
 * A list file on this machine: relative entries name files in its folder (or below it), served
 * one by one as the list names them (nothing else of that folder); http(s) entries are fetched as
 * they are.
 */
function localList(input: string, path: string): Checked<DatasetChoice> {
  if (!LIST_FILE.test(path)) return { ok: false, reason: `${input} is neither a folder, a list of images (a .txt, .csv or .jsonl file), a WebDataset .tar shard nor a .parquet file` };
  return {
    ok: true,
    value: {
      // The list's full path is in the query (the server ignores it), so that two lists of the
      // same name are told apart when resuming.
      spec: (origin) => ({ kind: 'manifest', url: `${origin}/data/files/${encodeURIComponent(basename(path))}?list=${encodeURIComponent(path)}` }),
      routes: { dataList: path },
      describe: path,
    },
  };
}

export interface ModelChoice {
  /** As the page reads it: a Hub id or tench-local/<name>. */
  input: string;
  routes: RouteOptions;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/** A model folder's weights for `dtype`, checked here: in the page, transformers.js would only say
 * that it could not locate a file. */
function weightsProblem(input: string, path: string, dtype: Dtype): string | null {
  if (!existsSync(resolve(path, 'onnx'))) return `model folder ${input} has no onnx/ folder`;
  if (existsSync(resolve(path, DTYPE_FILES[dtype].file))) return null;
  const present = readdirSync(resolve(path, 'onnx')).map((name) => `onnx/${name}`);
  return missingDtypeFile(`model folder ${input}`, dtype, dtypesAmong(present));
}

export function chooseModel(input: string, dtype: Dtype): Checked<ModelChoice> {
  const path = resolve(input);
  if (existsSync(path)) {
    if (!statSync(path).isDirectory()) return { ok: false, reason: `model ${input} is a file; give the model folder (with config.json and onnx/)` };
    if (!existsSync(resolve(path, 'config.json'))) return { ok: false, reason: `model folder ${input} has no config.json` };
    if (!existsSync(resolve(path, 'preprocessor_config.json'))) return { ok: false, reason: `model folder ${input} has no preprocessor_config.json` };
    const problem = weightsProblem(input, path, dtype);
    if (problem) return { ok: false, reason: problem };
    return { ok: true, value: { input: localModelId(path), routes: { modelDir: path } } };
  }
  if (input.startsWith('.') || input.startsWith('/') || input.startsWith('~') || input.split('/').length > 2 || !HUB_ID.test(input)) {
    return { ok: false, reason: `no such model folder: ${input}` };
  }
  return { ok: true, value: { input, routes: {} } };
}
