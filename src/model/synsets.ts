// Ground truth from where an image sits: ImageNet-style datasets (Imagenette among them) keep each
// class in a folder named by its WordNet id, n01440764/ for tench. The model's labels are names,
// so the id is turned into the model's own label for that class.

import synsetList from './imagenet-synsets.txt?raw';
import type { LabelSource } from '../settings.ts';

const SYNSET = /^n\d{8}$/;
let index: Map<string, number> | null = null;

function synsetIndex(): Map<string, number> {
  index ??= new Map(synsetList.split('\n').filter(Boolean).map((line, i) => [line.slice(0, 9), i]));
  return index;
}

/** Where true labels come from: what the dataset gives, else a WordNet-id folder ('auto'); the
 * parent folder's name whatever it is ('folder', Ray's partitioning); or nowhere ('none'). */


export interface LabelOptions {
  from?: LabelSource;
  /** A user's mapping from their class names (folder names, or the labels a list gives) to the
   * model's labels; names it does not list are kept as they are. */
  map?: Readonly<Record<string, string>>;
}

const folded = (text: string) => text.trim().toLowerCase();
const byLabels = new WeakMap<readonly string[], Map<string, string | null>>();

/**
 * A model's labels by each way of writing them: the whole label and each of its comma-separated
 * synonyms ("lens cap, lens cover": "lens cap", "lens cover"), case and surrounding space
 * ignored. A synonym two classes share ("crane": the bird and the machine) names neither (null).
 */
function labelIndex(labels: readonly string[]): Map<string, string | null> {
  let index = byLabels.get(labels);
  if (index) return index;
  index = new Map();
  const synonyms = new Map<string, Set<string>>();
  for (const label of labels) {
    for (const name of label.split(',').map(folded).filter(Boolean)) {
      if (!synonyms.has(name)) synonyms.set(name, new Set());
      synonyms.get(name)!.add(label);
    }
  }
  for (const [name, of] of synonyms) index.set(name, of.size === 1 ? [...of][0]! : null);
  // A whole label always names its own class, whatever its synonyms share.
  for (const label of labels) index.set(folded(label), label);
  byLabels.set(labels, index);
  return index;
}

/** The model's label a true label names (itself, or one of its synonyms), or null for none. */
export function modelLabel(raw: string, labels: readonly string[]): string | null {
  if (labels.includes(raw)) return raw;
  return labelIndex(labels).get(folded(raw)) ?? null;
}

/**
 * The true label of an image, or null when nothing says it. WordNet ids map to the model's label
 * of that class (a 1000-class ImageNet model is assumed when the labels number 1000), so they
 * compare with predictions; a user's map goes first; a name that is one of the model's labels
 * or synonyms, in any case, becomes that label. A name that is none of them is kept as it is (the
 * evaluation counts it apart).
 */
export function trueLabel(path: string, given: string | undefined, labels: readonly string[], options: LabelOptions = {}): string | null {
  const from = options.from ?? 'auto';
  if (from === 'none') return null;
  const named = (raw: string) => {
    const mapped = options.map?.[raw];
    if (mapped !== undefined) return modelLabel(mapped, labels) ?? mapped;
    const i = SYNSET.test(raw) && labels.length === 1000 ? synsetIndex().get(raw) : undefined;
    return i === undefined ? modelLabel(raw, labels) ?? raw : labels[i]!;
  };
  const parts = path.split('/');
  if (from === 'folder') return parts.length > 1 ? named(parts[parts.length - 2]!) : null;
  if (given !== undefined && given !== '') return named(given);
  for (let i = parts.length - 2; i >= 0; i--) {
    const id = parts[i]!;
    if (!SYNSET.test(id)) continue;
    // An id nothing maps to a model label says nothing the predictions can be compared with.
    const label = named(id);
    return label === id ? null : label;
  }
  return null;
}
