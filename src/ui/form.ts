// The run form: where the images are, which model, how to run it. Reads into a JobRequest; the
// run settings' fields, their defaults and how they are read come from settings.ts.

import type { DatasetRuntime, DatasetSpec } from '../datasets/dataset.ts';
import { DROPPED_FILES, folderName } from '../datasets/folder.ts';
import { isEndpointUrl, parseS3Url } from '../datasets/s3.ts';
import type { JobRequest, JobRuntime } from '../job.ts';
import type { Dtype } from '../core/device.ts';
import { parseLabelMap } from '../model/label-map.ts';
import { BUNDLED_MODEL, DEFAULT_HUB, SUGGESTED_MODEL, modelRefFromInput, revisionProblem } from '../model/model.ts';
import { SETTING_KEYS, settingOf, withDefaults, type Setting, type SettingKey, type SettingValues } from '../settings.ts';
import { h } from './dom.ts';
import { rememberForm } from './form-memory.ts';
import { createModelOffer } from './model-offer.ts';

export const SAMPLES_MANIFEST = 'samples/manifest.txt';

type Kind = 'samples' | 'manifest' | 's3' | 'folder';

let fields = 0;

/**
 * A labelled control. Its accessible name is the label alone and the hint its description, so
 * that "Model" finds the model field (the hint sits inside the label element, where it would
 * otherwise be part of the name).
 */
function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  const id = `field-${++fields}`;
  control.setAttribute('aria-labelledby', `${id}-name`);
  if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
  return h('label', {}, h('span', { id: `${id}-name` }, label), control, hint ? h('small', { id: `${id}-hint` }, hint) : null);
}

type Control = HTMLInputElement | HTMLSelectElement;

/** The form's fields for the run settings that have one (settings.ts): an empty one is the default. */
function settingFields(): Map<SettingKey, { control: Control; field: HTMLLabelElement; group: string }> {
  const out = new Map<SettingKey, { control: Control; field: HTMLLabelElement; group: string }>();
  for (const key of SETTING_KEYS) {
    const s = settingOf(key) as Setting<unknown>;
    const spec = s.field;
    if (!spec) continue;
    const name = s.flag.slice(2);
    // A choice is a select, a list a text field, a count a number field: empty means the default.
    const control: Control = s.choices
      ? h('select', { name }, ...s.choices.map((c) => h('option', { value: c, selected: c === s.shown }, spec.choiceLabels?.[c] ?? c)))
      : Array.isArray(s.default)
        ? h('input', { name, placeholder: s.shown, size: 28 })
        : h('input', { name, type: 'number', min: 1, size: 6, ...(s.default === null ? { placeholder: s.shown } : { value: s.shown }) });
    out.set(key, { control, field: field(spec.label, control, spec.hint), group: spec.group });
  }
  return out;
}

/** Where the images are, as the form's source fields say; a sentence when something is missing. */
function readDataset(
  kind: Kind,
  f: Record<'manifest' | 's3url' | 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey', HTMLInputElement>,
  picked: Picked | null,
  credentials: () => DatasetRuntime['credentials'],
): { dataset: DatasetSpec; runtime: DatasetRuntime } | { error: string } {
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

type Picked = { name: string; folder: FileSystemDirectoryHandle | File[] };

/**
 * One button for a folder: the File System Access picker where the browser has one (files are
 * read as the run needs them), the folder upload input where it has not; or a folder dropped on
 * the form. `onChosen` hears that one was chosen.
 */
function folderChooser(onChosen: () => void) {
  let picked: Picked | null = null;
  const pickedName = h('small', { 'data-testid': 'picked-folder' });
  const input = h('input', { name: 'folder', type: 'file', webkitdirectory: true, multiple: true, hidden: true, tabindex: -1 });
  const choose = (name: string, folder: FileSystemDirectoryHandle | File[]) => {
    picked = { name, folder };
    pickedName.textContent = `${name} (${Array.isArray(folder) ? `${folder.length} files` : 'folder'})`;
    onChosen();
  };
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    if (!files.length) return;
    choose(folderName(files), files);
  });
  const button = h('button', { type: 'button', onclick: async () => {
    const picker = (window as unknown as { showDirectoryPicker?(): Promise<FileSystemDirectoryHandle> }).showDirectoryPicker;
    if (!picker) return input.click();
    try {
      const handle = await picker.call(window);
      choose(handle.name, handle);
    } catch {
      // The user closed the picker.
    }
  } }, 'Choose folder…');
  const root = h('div', { class: 'folder' }, button, ' ', pickedName, h('p', { class: 'hint' }, 'or drop a folder on this form'), input);
  return { root, choose, picked: () => picked };
}

export function createForm(onRun: () => void, onCancel: () => void, onPause: (pause: boolean) => void) {
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
  const settings = settingFields();
  // The CLI's --label-map, pasted rather than read from a file: such a map is a few lines.
  const labelMap = h('textarea', { name: 'labelMap', rows: 2, cols: 50, spellcheck: 'false', placeholder: '{"cats": "tabby, tabby cat", "dogs": "golden retriever"}' });
  const fieldsOf = (group: string) => [...settings.values()].filter((f) => f.group === group).map((f) => f.field);
  const model = h('input', { name: 'model', value: BUNDLED_MODEL, list: 'models', size: 36 });
  const models = h('datalist', { id: 'models' },
    h('option', { value: BUNDLED_MODEL }, 'bundled test model (random weights, offline)'),
    h('option', { value: SUGGESTED_MODEL }, 'ViT-B/16 from the Hugging Face Hub (online)'));
  // A mirror of the Hub (HF_ENDPOINT's equivalent), a revision, and a token for gated or private
  // models: the token, like S3 keys, stays in this field and the running job's memory.
  const hubEndpoint = h('input', { name: 'hubEndpoint', placeholder: DEFAULT_HUB, size: 30 });
  const revision = h('input', { name: 'revision', placeholder: 'main', size: 12 });
  const hubToken = h('input', { name: 'hubToken', type: 'password', autocomplete: 'off', size: 24 });
  const hubFields = h('details', { class: 'hub' }, h('summary', {}, 'Hugging Face Hub: mirror, revision, token'),
    field('Hub', hubEndpoint, 'a mirror in the Hub\'s layout, such as https://hf-mirror.com'), field('Revision', revision, 'a branch, tag or commit'),
    field('Hub token', hubToken, 'for gated or private models; sent to the hub only, kept in this tab only'));
  const hub = () => ({ endpoint: hubEndpoint.value, revision: revision.value });
  /** The token typed, for the hub typed beside it. */
  const token = (): Pick<JobRuntime, 'hubToken'> => (hubToken.value.trim() ? { hubToken: { endpoint: hubEndpoint.value, token: hubToken.value.trim() } } : {});
  const dtype = settings.get('dtype')!.control;
  // The model the user chose, typed or restored, is theirs: the Hub answering does not change it.
  let modelChosen = false;
  const offer = createModelOffer(model, () => dtype.value as Dtype, () => modelChosen, hub);
  model.addEventListener('input', () => {
    modelChosen = true;
    offer.update();
  });
  dtype.addEventListener('change', () => offer.update());
  // Another hub typed: whether it answers is asked again.
  hubEndpoint.addEventListener('change', () => void offer.probe());
  const run = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const cancel = h('button', { type: 'button', disabled: true, onclick: () => onCancel() }, 'Cancel');
  const pause = h('button', { type: 'button', disabled: true, 'aria-pressed': 'false' }, 'Pause');
  pause.addEventListener('click', () => {
    const pausing = pause.getAttribute('aria-pressed') !== 'true';
    pause.setAttribute('aria-pressed', String(pausing));
    pause.textContent = pausing ? 'Resume' : 'Pause';
    onPause(pausing);
  });

  const where = {
    samples: h('p', { class: 'hint' }, 'The twelve images bundled with tench: they need no network.'),
    manifest: field('Manifest URL', manifest),
    s3: h('div', {}, field('S3 URL', s3url), field('Endpoint', endpoint, 'for MinIO, R2 or another S3-compatible server'), field('Region', region),
      field('Access key ID', accessKeyId, 'optional: for a private bucket; kept in this tab only, never stored'), field('Secret access key', secretAccessKey),
      field('Session token', sessionToken, 'only for temporary keys')),
    folder: folder.root,
  };
  const datasetBox = h('div', { class: 'dataset' });
  const showKind = () => datasetBox.replaceChildren(where[kind.value as Kind]);
  kind.addEventListener('change', showKind);
  showKind();

  const root = h('form', { class: 'run-form', onsubmit: (e: Event) => {
    e.preventDefault();
    onRun();
  } },
  h('fieldset', {}, h('legend', {}, 'Images'), field('Source', kind), datasetBox, ...fieldsOf('images'),
    field('Label map', labelMap, 'optional: your class names (folder names or the list\'s labels) to the model\'s labels, as JSON')),
  h('fieldset', {}, h('legend', {}, 'Model'), field('Model', model, 'a Hub id or the bundled test model'), models, ...fieldsOf('model'), offer.root, hubFields),
  h('fieldset', {}, h('legend', {}, 'Run'), ...fieldsOf('run')),
  h('div', { class: 'buttons' }, run, pause, cancel));

  const restored = rememberForm(root, [kind, manifest, s3url, endpoint, region, labelMap, model, hubEndpoint, revision, ...[...settings.values()].map((f) => f.control)]);
  modelChosen = restored.has('model');
  showKind();
  offer.update();
  void offer.probe();

  // Dropping a folder: Chromium gives its handle; elsewhere the dropped files themselves.
  root.addEventListener('dragover', (e) => e.preventDefault());
  root.addEventListener('drop', async (e) => {
    e.preventDefault();
    const items = [...(e.dataTransfer?.items ?? [])];
    const handles = await Promise.all(items.map((i) => (i as DataTransferItem & { getAsFileSystemHandle?(): Promise<FileSystemHandle | null> }).getAsFileSystemHandle?.() ?? null));
    const dir = handles.find((x): x is FileSystemDirectoryHandle => x?.kind === 'directory');
    if (dir) return folder.choose(dir.name, dir);
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) folder.choose(DROPPED_FILES, files);
  });

  /** The keys typed in, when both halves are there. */
  function credentials(): DatasetRuntime['credentials'] {
    const id = accessKeyId.value.trim();
    const secret = secretAccessKey.value.trim();
    const token = sessionToken.value.trim();
    return id && secret ? { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) } : undefined;
  }

  function read(origin: string): { request: JobRequest; runtime: JobRuntime } | { error: string } {
    const chosen = readDataset(kind.value as Kind, { manifest, s3url, endpoint, region, accessKeyId, secretAccessKey }, folder.picked(), credentials);
    if ('error' in chosen) return chosen;
    const { dataset, runtime } = chosen;
    if (!model.value.trim()) return { error: 'Enter a model.' };
    const given: Partial<Record<SettingKey, unknown>> = {};
    for (const [key, { control }] of settings) {
      if (!control.value.trim()) continue;
      const parsed = settingOf(key).parse(control.value.trim());
      if (!parsed.ok) return { error: `${settingOf(key).field!.label}: ${parsed.reason.replace(/^--\S+ takes/, 'takes')}.` };
      given[key] = parsed.value;
    }
    const revisionWrong = revisionProblem(model.value, hub());
    if (revisionWrong) return { error: `Revision: ${revisionWrong}.` };
    if (hubEndpoint.value.trim() && !isEndpointUrl(hubEndpoint.value.trim())) return { error: `Hub: give an http(s) URL such as https://hf-mirror.com, got "${hubEndpoint.value.trim()}".` };
    const map = labelMap.value.trim() ? parseLabelMap(labelMap.value, 'Label map') : null;
    if (map && !map.ok) return { error: `${map.reason}.` };
    return {
      request: { ...withDefaults(given as Partial<SettingValues>), dataset, model: modelRefFromInput(model.value, origin, hub()), ...(map ? { labelMap: map.value } : {}) },
      runtime: { ...runtime, ...token() },
    };
  }

  function busy(running: boolean): void {
    run.disabled = running;
    cancel.disabled = !running;
    pause.disabled = !running;
    pause.setAttribute('aria-pressed', 'false');
    pause.textContent = 'Pause';
  }

  /** What a run resumed from Past runs needs and no run stores: the keys and the hub's token. */
  const secrets = (): JobRuntime => ({ credentials: credentials(), ...token() });

  /** Puts `id` in the model field, as if typed: the user's choice from now on. */
  function useModel(id: string): void {
    model.value = id;
    model.dispatchEvent(new Event('input', { bubbles: true }));
    model.focus();
  }

  return { root, read, busy, secrets, useModel };
}
