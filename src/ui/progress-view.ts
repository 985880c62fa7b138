// The run's progress: a bar, the counts, the rate, and which stage holds the rest back.

import type { Progress } from '../pipeline/progress.ts';
import { formatBytes, formatDuration, formatRate, h, plural, replace } from './dom.ts';

export function createProgressView() {
  const bar = h('progress', { max: 1, value: 0, 'aria-label': 'progress' });
  const counts = h('p', { class: 'counts', 'data-testid': 'counts' });
  const detail = h('p', { class: 'detail' });
  // What needs the user: a full disk, for one.
  const note = h('p', { class: 'note', role: 'alert', 'data-testid': 'progress-note', hidden: true });
  const stages = h('table', { class: 'stages' });
  // The bar, the counts and what needs the user: held in view while the run goes on (style.css).
  const head = h('div', { class: 'progress-head', 'data-testid': 'progress-head' }, bar, counts, note);
  const root = h('section', { class: 'progress', 'aria-live': 'polite' }, head, detail, stages);

  /** A bar that moves back and forth: how far along is not known yet. */
  const unknown = () => bar.removeAttribute('value');

  function show(p: Progress): void {
    // Held in view while the run goes on; once it has ended, it stays where it is.
    head.classList.toggle('live', p.state === 'starting' || p.state === 'running' || p.state === 'paused');
    const loading = p.model && (p.state === 'running' || p.state === 'starting' || p.state === 'paused') ? p.model : null;
    if (loading) {
      // The model's download first: its bytes, then the session being made ready.
      if (loading.total > 0 && loading.loaded < loading.total) {
        bar.max = loading.total;
        bar.value = loading.loaded;
      } else unknown();
      const bytes = loading.total > 0 ? `${formatBytes(loading.loaded)} of ${formatBytes(loading.total)}` : loading.loaded ? formatBytes(loading.loaded) : '';
      const step = loading.total > 0 && loading.loaded >= loading.total ? ' downloaded, preparing it' : '';
      replace(counts, `Loading the model${bytes ? `: ${bytes}${step}` : '…'} · ${p.listed}${p.listingDone ? '' : '+'} images listed · ${p.state}`);
    } else {
      // Until the listing has ended, the total is not known: the bar says so rather than fill early.
      if (p.listingDone) {
        bar.max = Math.max(p.listed, 1);
        bar.value = p.done;
      } else unknown();
      replace(counts, `${p.done} / ${p.listed}${p.listingDone ? '' : '+'} images · ${plural(p.failed, 'error')} · ${formatRate(p.recentRate || p.rate)} images/s`,
        p.etaMs !== null && p.state === 'running' ? ` · about ${formatDuration(p.etaMs)} left` : '', ` · ${p.state}`);
    }
    note.hidden = !p.note;
    replace(note, p.note ?? '');
    const causes = Object.entries(p.byCause).map(([cause, n]) => `${cause} ${n}`).join(', ');
    replace(detail, p.device ? `Device: ${p.device}.` : '', p.resumed ? ` ${p.resumed} images already stored by this run.` : '',
      p.cached ? ` ${p.cached} answered by earlier runs.` : '', skippedText(p),
      causes ? ` Errors by cause: ${causes}.` : '', p.bottleneck && p.state === 'running' ? ` Slowest stage: ${p.bottleneck}.` : '');
    replace(stages, h('tr', {}, h('th', {}, 'stage'), h('th', {}, 'in'), h('th', {}, 'out'), h('th', {}, 'queued'), h('th', {}, 'busy')),
      ...p.stages.filter((s) => s.name !== 'list').map((s) =>
        h('tr', {}, h('td', {}, s.name), h('td', {}, s.in), h('td', {}, s.out), h('td', {}, s.capacity ? `${s.queued}/${s.capacity}` : '-'),
          h('td', {}, `${Math.round(Math.min(1, s.utilization) * 100)}%`))));
  }

  return { root, show };
}

/** " 3 non-image files skipped. 2 files skipped, each a link leading outside the dataset folder." */
export function skippedText(p: Pick<Progress, 'skipped' | 'skippedWhy'>): string {
  const why = Object.entries(p.skippedWhy ?? {});
  const others = p.skipped - why.reduce((n, [, k]) => n + k, 0);
  return [...(others > 0 ? [` ${others} non-image files skipped.`] : []), ...why.map(([reason, n]) => ` ${plural(n, 'file')} skipped, each ${reason}.`)].join('');
}
