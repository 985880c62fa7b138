// One image of the gallery, large: its name, the image itself where the page can fetch it again
// (from a list of URLs), else its stored thumbnail at its own size, what the model said, and the way to
// the previous and next image of the gallery as filtered (buttons, or the arrow keys).

import type { TenchDB } from '../store/db.ts';
import { getRow, getThumb, type ResultRow } from '../store/results.ts';
import { h, replace } from './dom.ts';

/** The gallery's side: the run, and an image's neighbours in the order shown. */
export interface DetailSource {
  runId: string;
  neighbour(path: string, step: -1 | 1): string | null;
}

const ORIGINAL_TIMEOUT_MS = 10_000;

/** The image at `url`, when it is the one stored: as many bytes as the row says it had. Its type
 * is not asked: file servers often call an image application/octet-stream, and <img> reads it. */
async function fetchImage(url: string, size: number | null, signal: AbortSignal): Promise<Blob | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(ORIGINAL_TIMEOUT_MS)]) });
    const blob = response.ok ? await response.blob() : null;
    return blob && !blob.type.startsWith('text/') && (size === null || blob.size === size) ? blob : null;
  } catch {
    return null;
  }
}

export function createGalleryDetail(db: TenchDB) {
  const root = h('dialog', { class: 'gallery-detail', 'data-testid': 'gallery-detail', 'aria-labelledby': 'gallery-detail-title' });
  let source: DetailSource | null = null;
  let path = '';
  let urls: string[] = [];
  let opening = new AbortController();

  const revoke = () => {
    for (const url of urls) URL.revokeObjectURL(url);
    urls = [];
  };
  const objectUrl = (blob: Blob) => {
    const url = URL.createObjectURL(blob);
    urls.push(url);
    return url;
  };
  root.addEventListener('close', () => {
    opening.abort();
    revoke();
  });
  // On the document: a button that moved to another image is gone, and the focus with it.
  document.addEventListener('keydown', (e) => {
    if (root.open && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
      e.preventDefault();
      go(e.key === 'ArrowLeft' ? -1 : 1);
    }
  });

  function go(step: -1 | 1): void {
    const next = source?.neighbour(path, step);
    if (next) void open(source!, next);
  }

  async function open(from: DetailSource, at: string): Promise<void> {
    opening.abort();
    opening = new AbortController();
    const { signal } = opening;
    source = from;
    path = at;
    const [row, thumb] = await Promise.all([getRow(db, from.runId, at), getThumb(db, from.runId, at)]);
    if (signal.aborted) return;
    revoke();
    const nav = (step: -1 | 1, text: string) => h('button', { type: 'button', disabled: !from.neighbour(at, step), onclick: () => go(step) }, text);
    const picture = h('div', { class: 'detail-picture' },
      thumb ? h('img', { class: 'detail-thumb', src: objectUrl(thumb), alt: '' }) : h('p', { class: 'no-thumb' }, row?.error ? 'failed: no image' : 'no thumbnail'),
      thumb ? h('p', { class: 'hint' }, 'thumbnail') : null);
    replace(root,
      h('h2', { id: 'gallery-detail-title' }, at.split('/').pop() || at),
      picture,
      ...detailBody(at, row),
      h('form', { method: 'dialog', class: 'detail-buttons' }, nav(-1, '← Previous'), nav(1, 'Next →'), h('button', { type: 'submit' }, 'Close')));
    if (!root.open) root.showModal();
    // The image itself, where it can still be read, in place of the thumbnail.
    const url = thumb && (row?.url ?? (/^https?:\/\//.test(at) ? at : null));
    const blob = url ? await fetchImage(url, row?.size ?? null, signal) : null;
    if (blob && !signal.aborted) replace(picture, h('img', { class: 'detail-original', src: objectUrl(blob), alt: '', 'data-testid': 'detail-original' }));
  }

  return { root, open, close: () => root.open && root.close() };
}

function detailBody(path: string, row: ResultRow | undefined): Node[] {
  const field = (name: string, value: string) => [h('dt', {}, name), h('dd', {}, value)];
  if (!row) return [h('p', {}, 'This image is no longer stored.'), h('p', { class: 'path' }, path)];
  return [
    h('dl', {},
      ...field('path', row.path),
      ...field('true label', row.trueLabel ?? 'not given'),
      ...field('predicted', row.label ?? '—'),
      ...(row.error ? field('error', `${row.cause ?? 'error'}: ${row.error}`) : []),
      ...(row.width !== null && row.height !== null ? field('size', `${row.width} × ${row.height}`) : [])),
    row.topK.length
      ? h('table', { class: 'topk', 'data-testid': 'detail-topk' },
        h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'label'), h('th', {}, 'score'))),
        h('tbody', {}, ...row.topK.map((p, i) =>
          h('tr', { class: p.label === row.trueLabel ? 'true' : '' },
            h('td', { class: 'num' }, i + 1), h('td', {}, p.label), h('td', { class: 'num' }, p.score.toFixed(4))))))
      : h('p', {}, 'No prediction.'),
  ];
}
