// A run that finished without a single image. Most often that is a mistake (a wrong folder, an S3
// prefix with a typo, which lists nothing rather than failing, or --extensions that name none of
// the files), and a run of nothing must not pass for a success: it says why and exits 1. A shard is
// another matter: a small dataset leaves some shards with none of its images, which is no one's
// mistake, and a Job must not fail for it; whether the dataset had any image at all is for
// `tench merge`, which sees every part, to say.

import type { Shard } from '../datasets/shard.ts';
import type { Progress } from '../pipeline/progress.ts';
import { EXIT, type ExitStatus } from './exit.ts';

export interface EmptyRun {
  /** The dataset as the user gave it, and what kind it is, for the sentence. */
  dataset: string;
  kind: 'folder' | 'list' | 'prefix';
  shard: Shard | null;
  /** What the listing passed over: the last progress the run sent. */
  listing: Pick<Progress, 'skipped' | 'skippedWhy'> | null;
  /** The extensions the run took as images. */
  extensions: readonly string[];
}

const NOTHING_LISTED: Record<EmptyRun['kind'], string> = {
  folder: 'the folder holds no files',
  list: 'the list names none',
  prefix: 'nothing is stored under that prefix',
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Why the listing gave no image: what it passed over, by reason. */
function passedOver(e: EmptyRun): string {
  const skipped = e.listing?.skipped ?? 0;
  if (!skipped) return NOTHING_LISTED[e.kind];
  const why = Object.entries(e.listing?.skippedWhy ?? {});
  const byName = skipped - why.reduce((n, [, k]) => n + k, 0);
  const reasons = [
    ...(byName > 0 ? [`${byName} without an image extension (${e.extensions.join(', ')}; --extensions names others)`] : []),
    ...why.map(([reason, n]) => `${n} ${reason}`),
  ];
  return `${plural(skipped, 'file')} skipped: ${reasons.join('; ')}`;
}

/** What to say, and how to exit, when a finished run classified no image; null when it classified some. */
export function emptyRun(images: number, e: EmptyRun): { line: string; exit: ExitStatus } | null {
  if (images > 0) return null;
  if (e.shard) {
    return { line: `shard ${e.shard.index} of ${e.shard.count} holds none of the images of ${e.dataset}, as a dataset with few images for its shards leaves some: its output has no rows`, exit: EXIT.ok };
  }
  return { line: `no images in ${e.dataset}: ${passedOver(e)}`, exit: EXIT.failed };
}
