// The gallery's grid of thumbnails. Only the rows of cells in view (and a few around them) are in
// the DOM, in a grid as tall as all of its rows, so a run of 100,000 images scrolls as lightly as
// one of ten. The page itself scrolls, not a box inside it: on a phone a nested scroll box traps
// the thumb. As many columns as fit, each as wide as the row allows. Thumbnails are read from
// IndexedDB when a cell needs them, and their object URLs are revoked as soon as it leaves.

import type { TenchDB } from '../store/db.ts';
import { getThumb } from '../store/results.ts';
import { h } from './dom.ts';
import { isWrong, type GalleryEntry } from './gallery-entries.ts';

/** The narrowest cell: a 96-px thumbnail, its padding, border and the gap. Matches style.css. */
const MIN_CELL_W = 114;
const CELL_H = 164;
const GAP = 8;
/** Rows of cells kept beyond each edge of the view, so a scroll step finds them already there. */
const OVERSCAN = 2;
/** Used before the grid is laid out (a hidden panel measures 0). */
const FALLBACK_W = 960;

interface Cell {
  el: HTMLButtonElement;
  img: HTMLImageElement;
  url: string | null;
  live: boolean;
}

/**
 * As many columns as fit `width`; the rows of `count` cells, and the first and last of them to
 * lay out: those in the window, with OVERSCAN more each way. `top` is the grid's top in the
 * window; a grid still below it shows its first screenful.
 */
function layout(width: number, count: number, top: number) {
  const columns = Math.max(1, Math.floor(width / MIN_CELL_W));
  const rows = Math.ceil(count / columns);
  const scrolled = Math.max(0, -top);
  const first = Math.max(0, Math.floor(scrolled / CELL_H) - OVERSCAN);
  const last = Math.min(rows, Math.ceil((scrolled + innerHeight) / CELL_H) + OVERSCAN);
  return { columns, cellW: width / columns, rows, first, last };
}

/** A cell's tile: the thumbnail (or "failed"), the label or the cause, the score and the path. */
function tile(e: GalleryEntry, img: HTMLImageElement, open: (path: string) => void): HTMLButtonElement {
  const state = e.failed ? 'failed' : e.trueLabel === null ? '' : isWrong(e) ? 'wrong' : 'right';
  return h('button', { type: 'button', class: `gallery-cell ${state}`, 'data-testid': 'gallery-cell', 'data-path': e.path, title: e.failed ? `${e.path}: ${e.error}` : e.path, onclick: () => open(e.path) },
    h('span', { class: 'thumb' }, e.failed ? h('span', { class: 'no-thumb' }, 'failed') : img),
    h('span', { class: 'cell-label' }, e.failed ? (e.cause ?? 'error') : (e.label ?? '')),
    h('span', { class: 'cell-score' }, e.score === null ? '' : e.score.toFixed(3)),
    h('span', { class: 'cell-path' }, e.path));
}

/** `open` hears a cell pressed, with its image's path. */
export function createGalleryGrid(db: TenchDB, open: (path: string) => void) {
  let runId = '';
  let entries: readonly GalleryEntry[] = [];
  let shown: readonly number[] = [];
  const cells = new Map<number, Cell>();
  let frame = 0;
  const root = h('div', { class: 'gallery-grid', 'data-testid': 'gallery-grid' });
  new ResizeObserver(() => schedule()).observe(root);
  addEventListener('scroll', () => schedule(), { passive: true });
  addEventListener('resize', () => schedule());

  function schedule(): void {
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      render();
    });
  }

  function render(): void {
    const { columns, cellW, rows, first, last } = layout(root.clientWidth || FALLBACK_W, shown.length, root.getBoundingClientRect().top);
    root.style.setProperty('--cell-w', `${cellW - GAP}px`);
    root.style.height = `${rows * CELL_H}px`;
    const wanted = new Map<number, number>();
    for (let slot = first * columns; slot < Math.min(shown.length, last * columns); slot++) wanted.set(shown[slot]!, slot);
    for (const key of [...cells.keys()]) if (!wanted.has(key)) drop(key);
    for (const [key, slot] of wanted) {
      const cell = cells.get(key) ?? make(key);
      cell.el.style.transform = `translate(${(slot % columns) * cellW}px, ${Math.floor(slot / columns) * CELL_H}px)`;
    }
  }

  function make(key: number): Cell {
    const e = entries[key]!;
    const img = h('img', { alt: '', width: 96, height: 96, decoding: 'async' });
    const cell: Cell = { el: tile(e, img, open), img, url: null, live: true };
    cells.set(key, cell);
    root.append(cell.el);
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

  return {
    root,
    /** Another run's images: every cell of the last one goes. */
    load(id: string, all: readonly GalleryEntry[]): void {
      for (const key of [...cells.keys()]) drop(key);
      runId = id;
      entries = all;
    },
    /** Lays out the entries at `indices`, in that order. */
    show(indices: readonly number[]): void {
      shown = indices;
      render();
    },
  };
}
