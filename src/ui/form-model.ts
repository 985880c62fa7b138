// The form's model: a Hub id or the bundled test model, the Hub's mirror, revision and token, and
// the sentence offering a model that fits (model-offer.ts).

import type { Dtype } from '../core/device.ts';
import type { JobRuntime } from '../run/run.ts';
import { BUNDLED_MODEL, DEFAULT_HUB, SUGGESTED_MODEL, modelRefFromInput, revisionProblem, type ModelRef } from '../model/model.ts';
import { isEndpointUrl } from '../datasets/s3.ts';
import { h } from './dom.ts';
import { field, type Control } from './form-fields.ts';
import { createModelOffer } from './model-offer.ts';

export function createModelFields(dtype: Control) {
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

  return {
    /** The model field and its suggestions; `more` goes after the model's run settings. */
    parts: [field('Model', model, 'a Hub id or the bundled test model'), models],
    more: [offer.root, hubFields],
    remembered: [model, hubEndpoint, revision],
    /** After the form's memory put fields back: a model put back is the user's choice. */
    restored(names: ReadonlySet<string>): void {
      modelChosen = names.has('model');
      offer.update();
      void offer.probe();
    },
    missing: (): string | null => (model.value.trim() ? null : 'Enter a model.'),
    /** What is wrong with the revision or the hub typed, in a sentence. */
    problem(): string | null {
      const revisionWrong = revisionProblem(model.value, hub());
      if (revisionWrong) return `Revision: ${revisionWrong}.`;
      const endpoint = hubEndpoint.value.trim();
      return endpoint && !isEndpointUrl(endpoint) ? `Hub: give an http(s) URL such as https://hf-mirror.com, got "${endpoint}".` : null;
    },
    ref: (origin: string): ModelRef => modelRefFromInput(model.value, origin, hub()),
    /** The token typed, for the hub typed beside it. */
    token: (): Pick<JobRuntime, 'hubToken'> => (hubToken.value.trim() ? { hubToken: { endpoint: hubEndpoint.value, token: hubToken.value.trim() } } : {}),
    /** Puts `id` in the model field, as if typed: the user's choice from now on. */
    use(id: string): void {
      model.value = id;
      model.dispatchEvent(new Event('input', { bubbles: true }));
      model.focus();
    },
  };
}
