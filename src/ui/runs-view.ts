// Past runs, from IndexedDB: what each was, how far it got, and what can be done with it:
// show, resume, retry the failed, export, delete. A run left 'running' by a page that is gone
// (closed tab, crash) shows as interrupted.

import { describe } from '../datasets/spec.ts';
import type { Continuation } from '../run/types.ts';
import { exportFile, exportOptions, MEDIA_TYPES, type ExportFormat } from '../store/export.ts';
import { liveIn, type LiveIn, type RunRecord } from '../store/runs.ts';
import { h, plural, replace } from './dom.ts';

export interface RunActions {
  show(run: RunRecord): void;
  /** Goes on with the run; `folder` when its images came from a folder picked in the page. */
  continue(run: RunRecord, retry: Continuation['retry'], folder?: readonly File[]): void;
  rows(run: RunRecord): Promise<Parameters<typeof exportFile>[0]>;
  remove(run: RunRecord): Promise<void>;
  clear(): Promise<void>;
}

const EXPORTS: ReadonlyArray<{ label: string; format: ExportFormat; what: 'results' | 'failures' }> = [
  { label: 'JSONL', format: 'jsonl', what: 'results' },
  { label: 'CSV', format: 'csv', what: 'results' },
  { label: 'Parquet', format: 'parquet', what: 'results' },
  { label: 'Failures (CSV)', format: 'csv', what: 'failures' },
];

function download(name: string, body: Uint8Array | string, type: string): void {
  const url = URL.createObjectURL(new Blob([body as BlobPart], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A folder picker opened on demand: resuming a folder run needs the folder again. */
function pickFolder(): Promise<File[] | null> {
  return new Promise((done) => {
    const input = h('input', { type: 'file', webkitdirectory: true, multiple: true, hidden: true });
    input.addEventListener('change', () => done(input.files?.length ? [...input.files] : null));
    input.addEventListener('cancel', () => done(null));
    document.body.append(input);
    input.click();
    input.remove();
  });
}

export function stateOf(run: RunRecord, interrupted: ReadonlySet<string>): string {
  return interrupted.has(run.id) ? 'interrupted' : run.state;
}

/** What a run has stored, counted from its rows: what Past runs shows of it. */
export interface StoredCount {
  stored: number;
  failed: number;
}

/** Why a live run cannot be deleted, and what to do about it, in one sentence. */
export function liveSentence(id: string, where: LiveIn): string {
  return where === 'here' ? `Run ${id} is running in this tab: cancel it first.` : `Run ${id} is running in another tab: cancel it there first.`;
}

/** What Clear all did, when it kept the runs that a page is running. */
export function keptSentence(kept: ReadonlyArray<{ id: string; live: LiveIn }>): string {
  if (!kept.length) return 'Every run was deleted.';
  const where = kept.every((k) => k.live === 'here') ? 'in this tab' : kept.every((k) => k.live === 'elsewhere') ? (kept.length === 1 ? 'in another tab' : 'in other tabs') : 'in this tab and another';
  return kept.length === 1
    ? `Every other run was deleted; run ${kept[0]!.id} was kept: it is running ${where}.`
    : `Every other run was deleted; runs ${kept.map((k) => k.id).join(', ')} were kept: they are running ${where}.`;
}

/** Why a run's Delete is disabled: it is running, here or in another tab. */
function liveTitle(id: string): string {
  return liveIn(id) === 'here' ? 'running in this tab: cancel it first' : 'running in another tab: cancel it there first';
}

/**
 * The runs Past runs lists, newest first. A run that failed before it stored a row (its model or
 * its list could not be read) is an attempt: listed while it is the newest run of its dataset and
 * model, it gives way to the next one, so that trying again does not pile up failures. `folded`
 * counts those not listed; they stay in the store until deleted (Clear all).
 */
export function listedRuns(runs: readonly RunRecord[], counts: ReadonlyMap<string, StoredCount>): { listed: RunRecord[]; folded: number } {
  const seen = new Set<string>();
  const listed: RunRecord[] = [];
  for (const run of runs) {
    const key = `${describe(run.dataset)}\u0000${run.model}`;
    const attempt = run.state === 'failed' && !(counts.get(run.id)?.stored ?? 0);
    if (!attempt || !seen.has(key)) listed.push(run);
    seen.add(key);
  }
  return { listed, folded: runs.length - listed.length };
}

export function createRunsView(actions: RunActions) {
  const list = h('ol', { class: 'runs', 'data-testid': 'runs' });
  // Runs that a page is running: Clear all keeps them.
  let live = 0;
  const clear = h('button', { type: 'button', class: 'danger', onclick: () => {
    const asked = live ? `Delete every run but ${live === 1 ? 'the one' : `the ${live}`} running, and their results?` : 'Delete every run and all their results?';
    if (confirm(asked)) void actions.clear();
  } }, 'Clear all');
  const folded = h('p', { class: 'hint', 'data-testid': 'runs-folded', hidden: true });
  const root = h('section', { class: 'history' }, h('h2', {}, 'Past runs'), list, folded, clear);

  function item(run: RunRecord, interrupted: ReadonlySet<string>, busy: boolean, count: StoredCount): HTMLLIElement {
    const state = stateOf(run, interrupted);
    // Counted from the rows: a counter saved now and then lags behind them.
    const { stored, failed } = count;
    // A run that failed before storing anything (its list was not there) has nothing to go on
    // from or to export: the form runs it again.
    const canGoOn = !busy && !!run.request && (state === 'interrupted' || state === 'cancelled' || (state === 'failed' && stored > 0));
    const go = (retry: Continuation['retry']) => async () => {
      if (run.dataset.kind !== 'folder') return actions.continue(run, retry);
      const files = await pickFolder();
      if (files) actions.continue(run, retry, files);
    };
    const exportMenu = h('select', { 'aria-label': `Export run ${run.id}`, onchange: async (e: Event) => {
      const select = e.target as HTMLSelectElement;
      const choice = EXPORTS[Number(select.value)];
      select.value = '';
      if (!choice) return;
      // The run's own options, so that a download has the columns the CLI writes for it.
      const body = exportFile(await actions.rows(run), choice.format, choice.what, exportOptions(run.request));
      download(`tench-${run.id}${choice.what === 'failures' ? '-failures' : ''}.${choice.format}`, body, MEDIA_TYPES[choice.format]);
    } }, h('option', { value: '' }, 'Export…'), ...EXPORTS.map((e, i) => h('option', { value: i }, e.label)));
    // 'running' here means a page holds its lock: a record left running by a closed tab is interrupted.
    const running = state === 'running';
    return h('li', { 'data-run': run.id, 'data-state': state },
      h('button', { type: 'button', class: 'link', onclick: () => actions.show(run) }, run.id),
      ' ', h('span', { class: `state ${state}` }, state),
      ` · ${stored || run.counts ? `${plural(stored, 'image')}, ${plural(failed, 'error')}` : 'no results yet'} · ${describe(run.dataset)} · ${run.model} `,
      canGoOn ? h('button', { type: 'button', onclick: go('missing') }, 'Resume') : null,
      !busy && run.request && failed > 0 && !running ? h('button', { type: 'button', onclick: go('failed') }, `Retry ${failed} failed`) : null,
      stored > 0 ? exportMenu : null,
      h('button', { type: 'button', disabled: running, title: running ? liveTitle(run.id) : null, onclick: () => {
        if (confirm(`Delete run ${run.id} and its results?`)) void actions.remove(run);
      } }, 'Delete'));
  }

  /** `busy` while this page runs a job; `counts` from each run's rows. */
  function show(runs: readonly RunRecord[], interrupted: ReadonlySet<string>, busy: boolean, counts: ReadonlyMap<string, StoredCount>): void {
    const shown = listedRuns(runs, counts);
    replace(list, ...shown.listed.map((r) => item(r, interrupted, busy, counts.get(r.id) ?? { stored: 0, failed: 0 })));
    folded.hidden = shown.folded === 0;
    replace(folded, `${plural(shown.folded, 'earlier attempt')} that failed before storing anything ${shown.folded === 1 ? 'is' : 'are'} not listed: a newer run of the same images and model came after.`);
    root.hidden = runs.length === 0;
    live = runs.filter((r) => stateOf(r, interrupted) === 'running').length;
    clear.disabled = runs.length === live;
    clear.title = live ? `keeps the ${plural(live, 'run')} running` : '';
  }

  return { root, show };
}
