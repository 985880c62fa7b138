// Past runs, from IndexedDB: what each was, how far it got, and what can be done with it:
// show, resume, retry the failed, export, delete. A run left 'running' by a page that is gone
// (closed tab, crash) shows as interrupted.

import { describe } from '../datasets/dataset.ts';
import type { Continuation } from '../job.ts';
import { exportFile, MEDIA_TYPES, type ExportFormat } from '../store/export.ts';
import type { RunRecord } from '../store/runs.ts';
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

export function createRunsView(actions: RunActions) {
  const list = h('ol', { class: 'runs', 'data-testid': 'runs' });
  const clear = h('button', { type: 'button', class: 'danger', onclick: () => {
    if (confirm('Delete every run and all their results?')) void actions.clear();
  } }, 'Clear all');
  const root = h('section', { class: 'history' }, h('h2', {}, 'Past runs'), list, clear);

  function item(run: RunRecord, interrupted: ReadonlySet<string>, busy: boolean): HTMLLIElement {
    const state = stateOf(run, interrupted);
    const c = run.counts;
    const stored = c ? c.written + (c.resumed ?? 0) : 0;
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
      const body = exportFile(await actions.rows(run), choice.format, choice.what);
      download(`tench-${run.id}${choice.what === 'failures' ? '-failures' : ''}.${choice.format}`, body, MEDIA_TYPES[choice.format]);
    } }, h('option', { value: '' }, 'Export…'), ...EXPORTS.map((e, i) => h('option', { value: i }, e.label)));
    return h('li', { 'data-run': run.id, 'data-state': state },
      h('button', { type: 'button', class: 'link', onclick: () => actions.show(run) }, run.id),
      ' ', h('span', { class: `state ${state}` }, state),
      ` · ${c ? `${plural(c.written + (c.resumed ?? 0), 'image')}, ${plural(c.failed, 'error')}` : 'no results yet'} · ${describe(run.dataset)} · ${run.model} `,
      canGoOn ? h('button', { type: 'button', onclick: go('missing') }, 'Resume') : null,
      !busy && run.request && c && c.failed > 0 && state !== 'running' ? h('button', { type: 'button', onclick: go('failed') }, `Retry ${c.failed} failed`) : null,
      stored > 0 ? exportMenu : null,
      h('button', { type: 'button', disabled: busy && state === 'running', onclick: () => {
        if (confirm(`Delete run ${run.id} and its results?`)) void actions.remove(run);
      } }, 'Delete'));
  }

  function show(runs: readonly RunRecord[], interrupted: ReadonlySet<string>, busy: boolean): void {
    replace(list, ...runs.map((r) => item(r, interrupted, busy)));
    root.hidden = runs.length === 0;
    clear.disabled = busy || runs.length === 0;
  }

  return { root, show };
}
