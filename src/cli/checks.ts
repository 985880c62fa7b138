// Everything about a classify run that can be wrong before a browser starts, each as one
// sentence: what was typed is a usage error (exit 2), what it names is the world's (exit 1).

import { readFile } from 'node:fs/promises';
import { isEndpointUrl, isS3HttpsUrl, parseS3Url } from '../datasets/s3.ts';
import type { LabelMap } from '../model/label-map.ts';
import { revisionProblem } from '../model/model.ts';
import { SETTINGS, withDefaults } from '../settings.ts';
import { findBrowser } from './browser.ts';
import type { ClassifyOptions } from './classify-flags.ts';
import { usage, type Outcome } from './exit.ts';
import { chooseDataset, chooseModel, type DatasetChoice, type ModelChoice } from './inputs.ts';
import { chooseDestination, type Destination } from './output.ts';
import { openState, stateDir, type State } from './state.ts';

export interface Checked {
  model: ModelChoice;
  dataset: DatasetChoice;
  labelMap: LabelMap | undefined;
  browserPath: string;
  out: Destination;
  failuresOut: Destination | null;
  state: State;
}

export async function checkInputs(o: ClassifyOptions): Promise<Outcome<Checked>> {
  if (o.hub?.endpoint && !isEndpointUrl(o.hub.endpoint)) return usage(`HF_ENDPOINT ${o.hub.endpoint} is not an http(s) URL, such as https://hf-mirror.com`);
  const revision = revisionProblem(o.model, o.hub ?? {});
  if (revision) return usage(revision);
  const bucketUrl = o.dataset.startsWith('s3://') || isS3HttpsUrl(o.dataset) ? parseS3Url(o.dataset) : null;
  if (bucketUrl && !bucketUrl.ok) return usage(bucketUrl.reason);
  // Before anything is probed: it is of what was typed.
  const embeddings = embeddingsProblem(o);
  if (embeddings) return usage(embeddings);
  const model = chooseModel(o.model, withDefaults(o.settings).dtype);
  if (!model.ok) return model;
  const dataset = await chooseDataset(o.dataset, { endpoint: o.s3Endpoint, region: o.s3Region });
  if (!dataset.ok) return dataset;
  const labelMap = await readLabelMap(o.labelMap);
  if (!labelMap.ok) return labelMap;
  const browserPath = findBrowser(o.browser);
  if (!browserPath.ok) return browserPath;
  const out = chooseDestination('--out', o.out, { shard: o.shard, format: o.format });
  if (!out.ok) return out;
  const failuresOut = o.failures === undefined ? null : chooseDestination('--failures', o.failures, { shard: o.shard, format: o.format, base: 'failures' });
  if (failuresOut && !failuresOut.ok) return failuresOut;
  const opened = await openState(stateDir(o.state));
  if (!opened.ok) return opened;
  return { ok: true, value: { model: model.value, dataset: dataset.value, labelMap: labelMap.value, browserPath: browserPath.path, out: out.value, failuresOut: failuresOut?.value ?? null, state: opened.state } };
}

/**
 * A reason when --embeddings was given with the results going to CSV, which has no column for
 * them; else null (a --out that names no file is refused where it is chosen).
 */
export function embeddingsProblem(o: Pick<ClassifyOptions, 'out' | 'shard' | 'format' | 'settings'>): string | null {
  if (!withDefaults(o.settings).embeddings) return null;
  const out = chooseDestination('--out', o.out, { shard: o.shard, format: o.format });
  return out.ok && out.value.format === 'csv' ? `${SETTINGS.embeddings.flag} cannot go to a CSV file (${out.value.shown}): write .jsonl or .parquet` : null;
}

/** --label-map's file, read by the settings table's parser; a file that cannot be read is the world's. */
async function readLabelMap(file: string | undefined): Promise<Outcome<LabelMap | undefined>> {
  if (file === undefined) return { ok: true, value: undefined };
  const source = `${SETTINGS.labelMap.flag} ${file}`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: false, reason: `${source}: ${(error as Error).message}` };
  }
  return SETTINGS.labelMap.parse(text, source);
}
