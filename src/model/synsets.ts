// Ground truth from where an image sits: ImageNet-style datasets (Imagenette among them) keep each
// class in a folder named by its WordNet id, n01440764/ for tench. The model's labels are names,
// so the id is turned into the model's own label for that class.

import synsetList from './imagenet-synsets.txt?raw';

const SYNSET = /^n\d{8}$/;
let index: Map<string, number> | null = null;

function synsetIndex(): Map<string, number> {
  index ??= new Map(synsetList.split('\n').filter(Boolean).map((line, i) => [line.slice(0, 9), i]));
  return index;
}

/** Where true labels come from: what the dataset gives, else a WordNet-id folder ('auto'); the
 * parent folder's name whatever it is ('folder', Ray's partitioning); or nowhere ('none'). */
export type LabelSource = 'auto' | 'folder' | 'none';

export interface LabelOptions {
  from?: LabelSource;
  /** A user's mapping from their class names (folder names, or the labels a list gives) to the
   * model's labels; names it does not list are kept as they are. */
  map?: Readonly<Record<string, string>>;
}

/**
 * The true label of an image, or null when nothing says it. WordNet ids map to the model's label
 * of that class (a 1000-class ImageNet model is assumed when the labels number 1000), so they
 * compare with predictions; a user's map goes first.
 */
export function trueLabel(path: string, given: string | undefined, labels: readonly string[], options: LabelOptions = {}): string | null {
  const from = options.from ?? 'auto';
  if (from === 'none') return null;
  const named = (raw: string) => {
    const mapped = options.map?.[raw];
    if (mapped !== undefined) return mapped;
    const i = SYNSET.test(raw) && labels.length === 1000 ? synsetIndex().get(raw) : undefined;
    return i === undefined ? raw : labels[i]!;
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
