// The form's "Images" part: the bundled samples, a list of image URLs, an S3 prefix or a folder
// on this computer, read into a DatasetSpec and what the run needs but never stores (keys, the
// picked folder).

import type { DatasetRuntime } from '../datasets/dataset.ts';
import type { DatasetSpec } from '../datasets/spec.ts';
import { isEndpointUrl, parseS3Url } from '../datasets/s3.ts';
import { h } from './dom.ts';
import { field } from './form-fields.ts';
import { folderChooser, type Picked } from './folder-chooser.ts';

export const SAMPLES_MANIFEST = 'samples/manifest.txt';

type Kind = 'samples' | 'manifest' | 's3' | 'folder';

type SourceInputs = Record<'manifest' | 's3url' | 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey', HTMLInputElement>;

/** Where the images are, as the source fields say; a sentence when something is missing. */
function readDataset(kind: Kind, f: SourceInputs, picked: Picked | null, credentials: () => DatasetRuntime['credentials']): { dataset: DatasetSpec; runtime: DatasetRuntime } | { error: string } {
  const { manifest, s3url, endpoint, region, accessKeyId, secretAccessKey } = f;
  let dataset: DatasetSpec;
  const runtime: DatasetRuntime = {};
  switch (kind) {
    case 'samples':
      dataset = { kind: 'manifest', url: new URL(SAMPLES_MANIFEST, document.baseURI).href };
      break;
    case 'manifest':
      if (!manifest.value.trim()) return { error: 'Enter the URL of a list of images.' };
      dataset = { kind: 'manifest', url: new URL(manifest.value.trim(), document.baseURI).href };
      break;
    case 's3':
      if (!parseS3Url(s3url.value).ok) return { error: 'Enter an S3 URL such as s3://bucket/prefix/ or https://bucket.s3.us-east-1.amazonaws.com/prefix/.' };
      dataset = { kind: 's3', url: s3url.value.trim(), endpoint: endpoint.value.trim() || null, region: region.value.trim() || null };
      if (dataset.endpoint && !isEndpointUrl(dataset.endpoint)) return { error: `Endpoint: give an http(s) URL such as http://localhost:9000, got "${dataset.endpoint}".` };
      if (!accessKeyId.value.trim() !== !secretAccessKey.value.trim()) return { error: 'Give both the access key ID and the secret access key, or neither for a public bucket.' };
      runtime.credentials = credentials();
      break;
    case 'folder':
      if (!picked) return { error: 'Choose a folder first.' };
      dataset = { kind: 'folder', name: picked.name };
      runtime.folder = picked.folder;
      break;
  }
  return { dataset, runtime };
}

export function createSourceFields() {
  const kind = h('select', { name: 'kind' },
    h('option', { value: 'samples' }, 'Bundled sample images'),
    h('option', { value: 'manifest' }, 'List of image URLs (.txt / .csv / .jsonl)'),
    h('option', { value: 's3' }, 'S3 prefix'),
    h('option', { value: 'folder' }, 'Folder on this computer'));
  const manifest = h('input', { name: 'manifest', type: 'url', placeholder: 'https://example.com/images.txt', size: 50 });
  const s3url = h('input', { name: 's3', placeholder: 's3://anonymous@air-example-data-2/imagenette2/val/', size: 50 });
  const endpoint = h('input', { name: 'endpoint', placeholder: 'https://s3.amazonaws.com (default)', size: 30 });
  const region = h('input', { name: 'region', placeholder: 'us-east-1', size: 12 });
  // Keys stay in these inputs and in the running job's memory: never in IndexedDB or localStorage.
  const accessKeyId = h('input', { name: 'accessKeyId', autocomplete: 'off', spellcheck: 'false', size: 22 });
  const secretAccessKey = h('input', { name: 'secretAccessKey', type: 'password', autocomplete: 'off', size: 30 });
  const sessionToken = h('input', { name: 'sessionToken', type: 'password', autocomplete: 'off', size: 30 });
  const folder = folderChooser(() => {
    kind.value = 'folder';
    showKind();
  });
  const where = {
    samples: h('p', { class: 'hint' }, 'The twelve images bundled with tench: they need no network.'),
    manifest: field('Manifest URL', manifest, 'a list of image URLs (.txt, .csv, .jsonl), a WebDataset .tar shard or a .parquet file'),
    s3: h('div', {}, field('S3 URL', s3url), field('Endpoint', endpoint, 'for MinIO, R2 or another S3-compatible server'), field('Region', region),
      field('Access key ID', accessKeyId, 'optional: for a private bucket; kept in this tab only, never stored'), field('Secret access key', secretAccessKey),
      field('Session token', sessionToken, 'only for temporary keys')),
    folder: folder.root,
  };
  const box = h('div', { class: 'dataset' });
  const showKind = () => box.replaceChildren(where[kind.value as Kind]);
  kind.addEventListener('change', showKind);
  showKind();

  /** The keys typed in, when both halves are there. */
  function credentials(): DatasetRuntime['credentials'] {
    const id = accessKeyId.value.trim();
    const secret = secretAccessKey.value.trim();
    const token = sessionToken.value.trim();
    return id && secret ? { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) } : undefined;
  }

  return {
    parts: [field('Source', kind), box],
    /** The fields the form remembers across reloads (form-memory.ts leaves the keys out). */
    remembered: [kind, manifest, s3url, endpoint, region],
    /** Shows the fields of the source chosen, after the form's memory put one back. */
    showKind,
    choose: folder.choose,
    credentials,
    read: () => readDataset(kind.value as Kind, { manifest, s3url, endpoint, region, accessKeyId, secretAccessKey }, folder.picked(), credentials),
  };
}
