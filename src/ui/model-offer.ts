// The sentence under the model field: what the bundled model is (random weights, labels that mean
// nothing), and the real model offered with its download size; or, with the real model chosen,
// its size and the way back to the offline demo. When the Hub answers, the real model becomes the
// default, unless the user already chose one.

import type { Dtype } from '../core/device.ts';
import { BUNDLED_MODEL, DTYPE_FILES, SUGGESTED_MODEL, SUGGESTED_PARAMETERS, hubRef, weightsSize, type HubSource } from '../model/model.ts';
import { formatBytes, h, replace } from './dom.ts';

export function createModelOffer(model: HTMLInputElement, dtype: () => Dtype, chosen: () => boolean, hub: () => Partial<HubSource>) {
  const root = h('p', { class: 'model-offer', 'data-testid': 'model-offer' });
  // The Hub's own figure once it answered, per dtype; until then the weights' count times their width.
  const sizes = new Map<Dtype, number>();
  const size = () => {
    const known = sizes.get(dtype());
    return known ? formatBytes(known) : `about ${formatBytes(SUGGESTED_PARAMETERS * DTYPE_FILES[dtype()].bytesPerWeight)}`;
  };
  const use = (id: string, text: string) => h('button', { type: 'button', class: 'link', onclick: () => {
    model.value = id;
    model.dispatchEvent(new Event('input', { bubbles: true }));
  } }, text);

  function update(): void {
    const id = model.value.trim();
    root.hidden = id !== BUNDLED_MODEL && id !== SUGGESTED_MODEL;
    if (id === BUNDLED_MODEL) {
      replace(root, 'The bundled model is a demo with random weights: it runs offline, but its labels mean nothing. ',
        use(SUGGESTED_MODEL, 'Use ViT-B/16'), ` for real labels (${SUGGESTED_MODEL} from the Hugging Face Hub: a download of ${size()} the first time, then kept by the browser).`);
    } else if (id === SUGGESTED_MODEL) {
      replace(root, `ViT-B/16 from the Hugging Face Hub: a download of ${size()} the first time, then kept by the browser. `,
        use(BUNDLED_MODEL, 'Use the bundled demo model'), ' to run offline (random weights: its labels mean nothing).');
    }
  }

  /** Asks the Hub for the file's size: an answer means the browser is online. */
  async function probe(): Promise<void> {
    if (!navigator.onLine) return;
    const wanted = dtype();
    const bytes = await weightsSize(hubRef(SUGGESTED_MODEL, hub()), wanted);
    if (bytes === null) return;
    sizes.set(wanted, bytes);
    // A default, not the user's choice: not an input event, so not remembered as one.
    if (!chosen() && model.value.trim() === BUNDLED_MODEL) model.value = SUGGESTED_MODEL;
    update();
  }

  update();
  return { root, update, probe };
}
