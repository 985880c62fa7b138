// Where a model's files are, and what the page needs from them before any worker starts:
// labels and preprocessing. The ONNX session itself is the inference workers' business.

import { DTYPES, type Dtype } from '../core/device.ts';
import { encoderShape, type EncoderShape } from './shape.ts';
import { parsePreprocessor, type PreprocessSpec } from './preprocessor.ts';
import { openCache } from '../core/realm.ts';

/** The Hugging Face Hub; a mirror in the Hub's layout replaces it (HF_ENDPOINT, the page's Hub field). */
export const DEFAULT_HUB = 'https://huggingface.co';

/** Where a Hub id's files are: the Hub or a mirror, and the branch, tag or commit to read. */
export interface HubSource {
  endpoint: string;
  revision: string;
}

/**
 * Hub ids whose repositories hold no ONNX export, mapped to the ONNX export of the same weights.
 * A user who types the id from the Ray example gets the model it names.
 */
export const ONNX_EXPORTS: Readonly<Record<string, string>> = Object.freeze({
  'google/vit-base-patch16-224': 'Xenova/vit-base-patch16-224',
  'google/vit-base-patch16-384': 'Xenova/vit-base-patch16-384',
  'google/vit-large-patch16-224': 'Xenova/vit-large-patch16-224',
  'facebook/deit-base-patch16-224': 'Xenova/deit-base-patch16-224',
  'facebook/deit-small-patch16-224': 'Xenova/deit-small-patch16-224',
  'facebook/convnext-tiny-224': 'Xenova/convnext-tiny-224',
  'microsoft/resnet-50': 'Xenova/resnet-50',
});

/** The model bundled with the app: random weights, for tests and offline demos. */
export const BUNDLED_MODEL = 'tench-tiny-vit';

/** The model of the Ray example, offered on the first screen and the page's default when the Hub answers. */
export const SUGGESTED_MODEL = 'google/vit-base-patch16-224';
/** Its parameters (ViT-B/16 with ImageNet's 1,000-class head), to tell its download size offline. */
export const SUGGESTED_PARAMETERS = 86.6e6;

/** Bytes per weight of each dtype's file, and the file transformers.js reads for it. */
export const DTYPE_FILES: Readonly<Record<Dtype, { file: string; bytesPerWeight: number }>> = Object.freeze({
  fp32: { file: 'onnx/model.onnx', bytesPerWeight: 4 },
  fp16: { file: 'onnx/model_fp16.onnx', bytesPerWeight: 2 },
  q8: { file: 'onnx/model_quantized.onnx', bytesPerWeight: 1 },
  int8: { file: 'onnx/model_int8.onnx', bytesPerWeight: 1 },
  uint8: { file: 'onnx/model_uint8.onnx', bytesPerWeight: 1 },
  q4: { file: 'onnx/model_q4.onnx', bytesPerWeight: 0.5 },
  q4f16: { file: 'onnx/model_q4f16.onnx', bytesPerWeight: 0.5 },
});

/** The dtypes whose files are among `files` (paths in the model folder, as DTYPE_FILES names them). */
export function dtypesAmong(files: Iterable<string>): Dtype[] {
  const present = new Set(files);
  return DTYPES.filter((d) => present.has(DTYPE_FILES[d].file));
}

/** A model without the file of the dtype asked for, in one sentence: the file, and the dtypes it does have. */
export function missingDtypeFile(model: string, dtype: Dtype, has: readonly Dtype[]): string {
  const instead = has.length ? `the dtypes it has are ${has.join(', ')}` : `it has no other dtype's file (${DTYPE_FILES.fp32.file} for fp32) either`;
  return `${model} has no ${DTYPE_FILES[dtype].file} for dtype ${dtype}; ${instead}`;
}

/**
 * A model folder in the Hub's layout. `base` holds model folders (transformers.js's
 * `localModelPath`); null means the Hugging Face Hub.
 */
export interface ModelRef {
  id: string;
  base: string | null;
  /** The id the user gave, where it was mapped to another repository (its ONNX export). */
  asked?: string;
  /** For a Hub id: which hub and revision; absent means the Hub's main branch. */
  hub?: HubSource;
}

/** The hub as given, empty parts meaning the Hub itself and its main branch. */
export function hubSource(given: Partial<HubSource> = {}): HubSource {
  return { endpoint: (given.endpoint?.trim() || DEFAULT_HUB).replace(/\/+$/, ''), revision: given.revision?.trim() || 'main' };
}

export function hubRef(id: string, given: Partial<HubSource> = {}): ModelRef {
  const source = hubSource(given);
  // Stored with the run: the default hub is left out, as runs made before hubs could be chosen.
  const hub = source.endpoint === DEFAULT_HUB && source.revision === 'main' ? {} : { hub: source };
  const exported = ONNX_EXPORTS[id];
  return exported ? { id: exported, base: null, asked: id, ...hub } : { id, base: null, ...hub };
}

/** A revision names a commit of one repository: for an id read from its ONNX export, the export's
 * revisions are not the id's. A sentence when a revision is given for such an id. */
export function revisionProblem(id: string, hub: Partial<HubSource>): string | null {
  const exported = ONNX_EXPORTS[id.trim()];
  const { revision } = hubSource(hub);
  return exported && revision !== 'main'
    ? `${id.trim()} is read from its ONNX export ${exported}, whose revisions are not ${id.trim()}'s: name ${exported} as the model to read its revision ${revision}`
    : null;
}

/** A hub's token, with the hub it was given for. */
export interface HubToken {
  endpoint?: string;
  token: string;
}

/** The token for this model's hub: none for a local model, or for a token given for another hub. */
export function tokenFor(ref: ModelRef, given: HubToken | undefined): string | undefined {
  if (!given || ref.base !== null) return undefined;
  return hubSource(ref.hub).endpoint === hubSource({ endpoint: given.endpoint }).endpoint ? given.token : undefined;
}

/** The model's identity in a fingerprint: another revision is other weights. */
export function modelIdentity(ref: ModelRef): string {
  return ref.hub && ref.hub.revision !== 'main' ? `${ref.id}@${ref.hub.revision}` : ref.id;
}

/** The model as the user named it, so that an error speaks of what they asked for. */
function named(ref: ModelRef): string {
  return ref.asked ? `${ref.asked} (its ONNX export ${ref.id})` : ref.id;
}

export function fileUrl(ref: ModelRef, file: string): string {
  if (ref.base !== null) return `${ref.base}${ref.id}/${file}`;
  const hub = ref.hub ?? hubSource();
  return `${hub.endpoint}/${ref.id}/resolve/${encodeURIComponent(hub.revision)}/${file}`;
}

/**
 * The size of a model's weights file as its host tells it (a HEAD request; the Hub's answer
 * follows a redirect to its file store), or null when nothing answers in time: offline, or a host
 * that will not say.
 */
export async function weightsSize(ref: ModelRef, dtype: Dtype, timeoutMs = 4000): Promise<number | null> {
  try {
    const response = await fetch(fileUrl(ref, DTYPE_FILES[dtype].file), { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    const size = Number(response.headers.get('x-linked-size') ?? response.headers.get('content-length'));
    return response.ok && size > 0 ? size : null;
  } catch {
    return null;
  }
}

export interface ModelInfo {
  ref: ModelRef;
  labels: string[];
  preprocess: PreprocessSpec;
  /** Activation shapes, to size batches for the adapter; null for models we cannot read. */
  shape: EncoderShape | null;
  /** A short description for the page and the run record. */
  summary: string;
}

export type Loaded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Where the page keeps a Hub model's config files, for runs when the hub cannot be reached (the
 * weights are in transformers.js's own cache). */
const HUB_FILES_CACHE = 'tench-hub-files';

/** A hub file, fetched (with the token, which goes to the hub alone) and kept; the kept copy when
 * the hub cannot be reached. */
async function fetchHubFile(url: string, token: string | undefined, signal?: AbortSignal): Promise<Response> {
  const cache = await openCache(HUB_FILES_CACHE);
  try {
    const response = await fetch(url, { signal, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
    if (response.ok) await cache?.put(url, response.clone()).catch(() => {});
    return response;
  } catch (error) {
    const kept = await cache?.match(url);
    if (kept && !signal?.aborted) return kept;
    throw error;
  }
}

async function fetchJson(url: string, hub: { token?: string } | null, signal?: AbortSignal): Promise<Loaded<Record<string, unknown>>> {
  let response: Response;
  try {
    response = hub ? await fetchHubFile(url, hub.token, signal) : await fetch(url, { signal });
  } catch (error) {
    return { ok: false, reason: `cannot reach ${url} (${error instanceof Error ? error.message : String(error)})` };
  }
  if (!response.ok) return { ok: false, reason: `${url} answered ${response.status}` };
  try {
    const json = await response.json();
    if (!json || typeof json !== 'object' || Array.isArray(json)) return { ok: false, reason: `${url} is not a JSON object` };
    return { ok: true, value: json as Record<string, unknown> };
  } catch {
    return { ok: false, reason: `${url} is not valid JSON` };
  }
}

export function labelsFrom(config: Record<string, unknown>): Loaded<string[]> {
  const id2label = config.id2label;
  if (!id2label || typeof id2label !== 'object') return { ok: false, reason: 'config.json has no id2label' };
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels: string[] = new Array(entries.length);
  for (const [key, value] of entries) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof value !== 'string') {
      return { ok: false, reason: `config.json id2label has an odd entry ${JSON.stringify(key)}` };
    }
    labels[i] = value;
  }
  return { ok: true, value: labels };
}

/** Reads config.json and preprocessor_config.json; every failure is one readable sentence.
 * `hubToken` is sent with a Hub model's requests, to its hub only. */
export async function loadModelInfo(ref: ModelRef, signal?: AbortSignal, hubToken?: string): Promise<Loaded<ModelInfo>> {
  const hub = ref.base === null ? { token: hubToken } : null;
  const [config, processor] = await Promise.all([
    fetchJson(fileUrl(ref, 'config.json'), hub, signal),
    fetchJson(fileUrl(ref, 'preprocessor_config.json'), hub, signal),
  ]);
  if (!config.ok) return { ok: false, reason: `model ${named(ref)}: ${config.reason}` };
  if (!processor.ok) return { ok: false, reason: `model ${named(ref)}: ${processor.reason}` };
  const labels = labelsFrom(config.value);
  if (!labels.ok) return { ok: false, reason: `model ${named(ref)}: ${labels.reason}` };
  const preprocess = parsePreprocessor(processor.value);
  if (!preprocess.ok) return { ok: false, reason: `model ${named(ref)}: ${preprocess.reason}` };
  const type = typeof config.value.model_type === 'string' ? config.value.model_type : 'unknown';
  const p = preprocess.value;
  return {
    ok: true,
    value: {
      ref,
      labels: labels.value,
      preprocess: p,
      shape: encoderShape(config.value),
      summary: `${ref.id} (${type}, ${labels.value.length} classes, ${p.inputWidth}x${p.inputHeight} input)`,
    },
  };
}

/**
 * What a user typed -> where the model is. The bundled model and `tench-local/...` (a folder the
 * CLI serves) live under the app's /models/; a URL names a folder anywhere; anything else is a Hub id.
 */
export function modelRefFromInput(input: string, origin: string, hub: Partial<HubSource> = {}): ModelRef {
  const id = input.trim();
  if (id === BUNDLED_MODEL || id.startsWith('tench-local/')) return { id, base: `${origin}/models/` };
  if (/^https?:\/\//i.test(id)) {
    const url = new URL(id);
    const parts = url.pathname.replace(/\/+$/, '').split('/');
    const name = parts.pop() ?? '';
    return { id: name, base: `${url.origin}${parts.join('/')}/` };
  }
  return hubRef(id, hub);
}
