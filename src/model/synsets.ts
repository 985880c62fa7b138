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

/**
 * The true label of an image: the one the dataset gives (a name, or a WordNet id), else the WordNet
 * id of its folder; null when neither says. Ids map to the model's label of that class, so they
 * compare with predictions; a 1000-class ImageNet model is assumed when the labels number 1000.
 */
export function trueLabel(path: string, given: string | undefined, labels: readonly string[]): string | null {
  const fromId = (id: string) => {
    const i = labels.length === 1000 ? synsetIndex().get(id) : undefined;
    return i === undefined ? null : labels[i]!;
  };
  if (given !== undefined && given !== '') return SYNSET.test(given) ? (fromId(given) ?? given) : given;
  const parts = path.split('/');
  for (let i = parts.length - 2; i >= 0; i--) {
    if (SYNSET.test(parts[i]!)) return fromId(parts[i]!);
  }
  return null;
}
