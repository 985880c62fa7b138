// The sentence under the model field: what the bundled model is (random weights, labels that mean
// nothing), and the real model offered with its download size; or, with the real model chosen,
// its size and the way back to the offline demo. When the Hub answers, the real model becomes the
// default, unless the user already chose one; when it does not, the sentence says so rather than
// offer a download that cannot start, and the real model stays one click away (the browser may
// have kept it from an earlier download).

import type { Dtype } from '../core/device.ts';
import { BUNDLED_MODEL, DEFAULT_HUB, DTYPE_FILES, SUGGESTED_MODEL, SUGGESTED_PARAMETERS, hubRef, hubSource, weightsSize, type HubSource } from '../model/model.ts';
import { formatBytes, h, replace } from './dom.ts';

/** The hub as a sentence names it: the Hub itself, or the mirror typed. */
function hubName(hub: Partial<HubSource>): string {
  const { endpoint } = hubSource(hub);
  const host = URL.canParse(endpoint) ? new URL(endpoint).host : endpoint;
  return endpoint === DEFAULT_HUB ? `The Hugging Face Hub (${host})` : `The hub ${host}`;
}

export function createModelOffer(model: HTMLInputElement, dtype: () => Dtype, chosen: () => boolean, hub: () => Partial<HubSource>) {
  const root = h('p', { class: 'model-offer', 'data-testid': 'model-offer' });
  // The Hub's own figure once it answered, per dtype; until then the weights' count times their width.
  const sizes = new Map<Dtype, number>();
  // Whether the last probe got an answer; null until one has ended.
  let reached: boolean | null = null;
  let probes = 0;
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
    root.dataset.hub = reached === false ? 'unreachable' : reached ? 'reached' : 'unknown';
    if (reached === false) return unreachable(id);
    if (id === BUNDLED_MODEL) {
      replace(root, 'The bundled model is a demo with random weights: it runs offline, but its labels mean nothing. ',
        use(SUGGESTED_MODEL, 'Use ViT-B/16'), ` for real labels (${SUGGESTED_MODEL} from the Hugging Face Hub: a download of ${size()} the first time, then kept by the browser).`);
    } else if (id === SUGGESTED_MODEL) {
      replace(root, `ViT-B/16 from the Hugging Face Hub: a download of ${size()} the first time, then kept by the browser. `,
        use(BUNDLED_MODEL, 'Use the bundled demo model'), ' to run offline (random weights: its labels mean nothing).');
    }
  }

  /** The Hub did not answer: no download to offer, the offline model named. */
  function unreachable(id: string): void {
    const name = hubName(hub());
    if (id === BUNDLED_MODEL) {
      replace(root, `${name} cannot be reached from here, so ViT-B/16 cannot be downloaded: the bundled demo model runs offline (random weights: its labels mean nothing). `,
        use(SUGGESTED_MODEL, 'Try ViT-B/16 anyway'), ' (it runs if this browser kept it from an earlier download).');
    } else if (id === SUGGESTED_MODEL) {
      replace(root, `ViT-B/16 comes from ${name.charAt(0).toLowerCase()}${name.slice(1)}, which cannot be reached from here: it runs only if this browser kept it from an earlier download. `,
        use(BUNDLED_MODEL, 'Use the bundled demo model'), ' to run offline (random weights: its labels mean nothing).');
    }
  }

  /** Asks the Hub for the file's size: an answer means the browser is online. */
  async function probe(): Promise<void> {
    const asked = ++probes;
    const wanted = dtype();
    const bytes = navigator.onLine ? await weightsSize(hubRef(SUGGESTED_MODEL, hub()), wanted) : null;
    // A slower answer to an earlier question (another hub typed since) says nothing now.
    if (asked !== probes) return;
    reached = bytes !== null;
    if (bytes !== null) {
      sizes.set(wanted, bytes);
      // A default, not the user's choice: not an input event, so not remembered as one.
      if (!chosen() && model.value.trim() === BUNDLED_MODEL) model.value = SUGGESTED_MODEL;
    }
    update();
  }

  // Back online: ask again rather than keep saying it cannot be reached.
  addEventListener('online', () => void probe());
  update();
  return { root, update, probe };
}
