// The run form: where the images are (form-source.ts), which model (form-model.ts), how to run it
// (the run settings, form-fields.ts), read into a JobRequest; and the buttons that start and
// steer the page's run (run-buttons.ts).

import type { JobRequest } from '../request.ts';
import type { JobRuntime } from '../run/run.ts';
import { parseLabelMap } from '../model/label-map.ts';
import { withDefaults } from '../settings.ts';
import { h } from './dom.ts';
import { field, readSettings, settingFields } from './form-fields.ts';
import { rememberForm } from './form-memory.ts';
import { createModelFields } from './form-model.ts';
import { createSourceFields } from './form-source.ts';
import { acceptFolderDrops } from './folder-chooser.ts';
import { createRunButtons } from './run-buttons.ts';
import type { RunControl } from './run-control.ts';

export function createForm(control: RunControl, onRun: () => void) {
  const source = createSourceFields();
  const settings = settingFields();
  const model = createModelFields(settings.get('dtype')!.control);
  // The CLI's --label-map, pasted rather than read from a file: such a map is a few lines.
  const labelMap = h('textarea', { name: 'labelMap', rows: 2, cols: 50, spellcheck: 'false', placeholder: '{"cats": "tabby, tabby cat", "dogs": "golden retriever"}' });
  const fieldsOf = (group: string) => [...settings.values()].filter((f) => f.group === group).map((f) => f.field);

  const root = h('form', { class: 'run-form', onsubmit: (e: Event) => {
    e.preventDefault();
    onRun();
  } },
  h('fieldset', {}, h('legend', {}, 'Images'), ...source.parts, ...fieldsOf('images'),
    field('Label map', labelMap, 'optional: your class names (folder names or the list\'s labels) to the model\'s labels, as JSON')),
  h('fieldset', {}, h('legend', {}, 'Model'), ...model.parts, ...fieldsOf('model'), ...model.more),
  h('fieldset', {}, h('legend', {}, 'Run'), ...fieldsOf('run')),
  createRunButtons(control).root);

  const restored = rememberForm(root, [...source.remembered, labelMap, ...model.remembered, ...[...settings.values()].map((f) => f.control)]);
  source.showKind();
  model.restored(restored);
  acceptFolderDrops(root, source.choose);

  /** The run the form asks for; the first thing missing or wrong, in a sentence. */
  function read(origin: string): { request: JobRequest; runtime: JobRuntime } | { error: string } {
    const chosen = source.read();
    if ('error' in chosen) return chosen;
    const missing = model.missing();
    if (missing) return { error: missing };
    const given = readSettings(settings);
    if ('error' in given) return given;
    const problem = model.problem();
    if (problem) return { error: problem };
    const map = labelMap.value.trim() ? parseLabelMap(labelMap.value, 'Label map') : null;
    if (map && !map.ok) return { error: `${map.reason}.` };
    return {
      request: { ...withDefaults(given), dataset: chosen.dataset, model: model.ref(origin), ...(map ? { labelMap: map.value } : {}) },
      runtime: { ...chosen.runtime, ...model.token() },
    };
  }

  return {
    root,
    read,
    /** What a run resumed from Past runs needs and no run stores: the keys and the hub's token. */
    secrets: (): JobRuntime => ({ credentials: source.credentials(), ...model.token() }),
    useModel: model.use,
  };
}
