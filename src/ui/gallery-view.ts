// Every image of a run as a thumbnail grid. Only the rows of cells in view (and a few around them)
// are in the DOM, over a spacer as tall as the whole grid, so a run of 100,000 images scrolls as
// lightly as one of ten. In memory it keeps a compact entry per image; thumbnails and full rows are
// read from IndexedDB when a cell or the detail view needs them, and their object URLs are revoked
// as soon as those leave.

import type { TenchDB } from '../store/db.ts';
import { getRow, getThumb, type ResultRow } from '../store/results.ts';
import { byName } from '../store/evaluate.ts';
import { h, replace } from './dom.ts';

export interface GalleryEntry {
  path: string;
  seq: number;
  label: string | null;
  score: number | null;
  trueLabel: string | null;
  failed: boolean;
  /** A failed image's cause and reason, shown on its tile. */
  cause: string | null;
  error: string | null;
}

export type GalleryShow = 'all' | 'wrong' | 'errors';

export interface GalleryFilter {
  /** A class name matched against the predicted or the true label; '' for every class. */
  label: string;
  show: GalleryShow;
}

export function galleryEntry(row: ResultRow): GalleryEntry {
  return { path: row.path, seq: row.seq, label: row.label, score: row.score, trueLabel: row.trueLabel, failed: row.error !== null, cause: row.cause, error: row.error };
}

/** Wrong means a prediction that differs from a known true label; a failed image has no prediction. */
export const isWrong = (e: GalleryEntry): boolean => !e.failed && e.trueLabel !== null && e.label !== e.trueLabel;

export function matches(e: GalleryEntry, f: GalleryFilter): boolean {
  if (f.label && e.label !== f.label && e.trueLabel !== f.label) return false;
  if (f.show === 'wrong') return isWrong(e);
  if (f.show === 'errors') return e.failed;
  return true;
}

const CELL_W = 128;
const CELL_H = 164;
/** Rows of cells kept beyond each edge of the view, so a scroll step finds them already there. */
const OVERSCAN = 2;
/** Used before the grid is laid out (a hidden panel measures 0). */
const FALLBACK_W = 960;
const FALLBACK_H = 480;

interface Cell {
  el: HTMLButtonElement;
  img: HTMLImageElement;
  url: string | null;
  live: boolean;
}

export function createGalleryView(db: TenchDB) {
  let runId = '';
  let entries: GalleryEntry[] = [];
  let shown: number[] = [];
  const filter: GalleryFilter = { label: '', show: 'all' };
  const cells = new Map<number, Cell>();
  let frame = 0;

  const classSelect = h('select', { 'data-testid': 'gallery-class', onchange: () => setFilter({ label: classSelect.value }) });
  const radio = (show: GalleryShow, text: string) =>
    h('label', { class: 'inline' },
      h('input', { type: 'radio', name: 'gallery-show', value: show, checked: show === 'all', 'data-testid': `gallery-${show}`, onchange: () => setFilter({ show }) }),
      ` ${text}`);
  const count = h('span', { class: 'hint', 'data-testid': 'gallery-count' });
  const controls = h('div', { class: 'gallery-controls' },
    h('label', { class: 'inline' }, 'class ', classSelect),
    radio('all', 'all'), radio('wrong', 'wrong only'), radio('errors', 'errors only'), count);
  const spacer = h('div', { class: 'gallery-spacer' });
  const viewport = h('div', { class: 'gallery-viewport', 'data-testid': 'gallery-scroll', onscroll: () => schedule() }, spacer);
  const detail = h('dialog', { class: 'gallery-detail', 'data-testid': 'gallery-detail' });
  const root = h('section', { class: 'gallery', 'data-testid': 'gallery' }, h('h2', {}, 'Gallery'), controls, viewport, detail);
  new ResizeObserver(() => schedule()).observe(viewport);

  function show(id: string, all: GalleryEntry[]): void {
    runId = id;
    entries = all;
    filter.label = '';
    filter.show = 'all';
    for (const input of controls.querySelectorAll('input')) input.checked = input.value === 'all';
    fillClasses();
    if (detail.open) detail.close();
    for (const key of [...cells.keys()]) drop(key);
    viewport.scrollTop = 0;
    refilter();
    root.dataset.run = id;
  }

  function fillClasses(): void {
    const seen = new Map<string, number>();
    const bump = (c: string | null) => c !== null && seen.set(c, (seen.get(c) ?? 0) + 1);
    for (const e of entries) {
      bump(e.label);
      if (e.trueLabel !== e.label) bump(e.trueLabel);
    }
    replace(classSelect, h('option', { value: '' }, `every class (${entries.length})`),
      ...[...seen.keys()].sort(byName).map((c) => h('option', { value: c }, `${c} (${seen.get(c)})`)));
  }

  function setFilter(change: Partial<GalleryFilter>): void {
    Object.assign(filter, change);
    viewport.scrollTop = 0;
    refilter();
  }

  function refilter(): void {
    shown = [];
    for (let i = 0; i < entries.length; i++) if (matches(entries[i]!, filter)) shown.push(i);
    replace(count, `${shown.length} of ${entries.length} images`);
    render();
  }

  function schedule(): void {
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      render();
    });
  }

  function render(): void {
    const columns = Math.max(1, Math.floor((viewport.clientWidth || FALLBACK_W) / CELL_W));
    const rows = Math.ceil(shown.length / columns);
    spacer.style.height = `${rows * CELL_H}px`;
    const top = viewport.scrollTop;
    const first = Math.max(0, Math.floor(top / CELL_H) - OVERSCAN);
    const last = Math.min(rows, Math.ceil((top + (viewport.clientHeight || FALLBACK_H)) / CELL_H) + OVERSCAN);
    const wanted = new Map<number, number>();
    for (let slot = first * columns; slot < Math.min(shown.length, last * columns); slot++) wanted.set(shown[slot]!, slot);
    for (const key of [...cells.keys()]) if (!wanted.has(key)) drop(key);
    for (const [key, slot] of wanted) {
      const cell = cells.get(key) ?? make(key);
      cell.el.style.transform = `translate(${(slot % columns) * CELL_W}px, ${Math.floor(slot / columns) * CELL_H}px)`;
    }
  }

  function make(key: number): Cell {
    const e = entries[key]!;
    const img = h('img', { alt: '', width: 96, height: 96, decoding: 'async' });
    const state = e.failed ? 'failed' : e.trueLabel === null ? '' : isWrong(e) ? 'wrong' : 'right';
    const el = h('button', { type: 'button', class: `gallery-cell ${state}`, 'data-testid': 'gallery-cell', 'data-path': e.path, title: e.failed ? `${e.path}: ${e.error}` : e.path, onclick: () => void open(e.path) },
      h('span', { class: 'thumb' }, e.failed ? h('span', { class: 'no-thumb' }, 'failed') : img),
      h('span', { class: 'cell-label' }, e.failed ? (e.cause ?? 'error') : (e.label ?? '')),
      h('span', { class: 'cell-score' }, e.score === null ? '' : e.score.toFixed(3)),
      h('span', { class: 'cell-path' }, e.path));
    const cell: Cell = { el, img, url: null, live: true };
    cells.set(key, cell);
    viewport.append(el);
    if (!e.failed) void loadThumb(runId, e.path, cell);
    return cell;
  }

  async function loadThumb(id: string, path: string, cell: Cell): Promise<void> {
    const blob = await getThumb(db, id, path).catch(() => undefined);
    if (!blob || !cell.live) return;
    cell.url = URL.createObjectURL(blob);
    cell.img.src = cell.url;
  }

  function drop(key: number): void {
    const cell = cells.get(key);
    if (!cell) return;
    cells.delete(key);
    cell.live = false;
    cell.el.remove();
    if (cell.url) URL.revokeObjectURL(cell.url);
    cell.url = null;
  }

  let detailUrl: string | null = null;
  let opening = 0;
  detail.addEventListener('close', () => {
    if (detailUrl) URL.revokeObjectURL(detailUrl);
    detailUrl = null;
  });

  async function open(path: string): Promise<void> {
    const token = ++opening;
    const id = runId;
    const [row, blob] = await Promise.all([getRow(db, id, path), getThumb(db, id, path)]);
    if (token !== opening || id !== runId) return;
    if (detailUrl) URL.revokeObjectURL(detailUrl);
    detailUrl = blob ? URL.createObjectURL(blob) : null;
    replace(detail, ...detailBody(path, row, detailUrl), h('form', { method: 'dialog' }, h('button', { type: 'submit' }, 'Close')));
    if (!detail.open) detail.showModal();
  }

  return { root, show };
}

function detailBody(path: string, row: ResultRow | undefined, url: string | null): Node[] {
  const field = (name: string, value: string) => [h('dt', {}, name), h('dd', {}, value)];
  if (!row) return [h('p', {}, 'This image is no longer stored.'), h('p', { class: 'path' }, path)];
  return [
    url ? h('img', { class: 'detail-thumb', src: url, alt: '' }) : h('p', { class: 'no-thumb' }, 'no thumbnail'),
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
