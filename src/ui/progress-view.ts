// The run's progress: a bar, the counts, the rate, and which stage holds the rest back.

import type { Progress } from '../pipeline/progress.ts';
import { formatDuration, formatRate, h, replace } from './dom.ts';

export function createProgressView() {
  const bar = h('progress', { max: 1, value: 0, 'aria-label': 'progress' });
  const counts = h('p', { class: 'counts', 'data-testid': 'counts' });
  const detail = h('p', { class: 'detail' });
  // What needs the user: a full disk, for one.
  const note = h('p', { class: 'note', role: 'alert', 'data-testid': 'progress-note', hidden: true });
  const stages = h('table', { class: 'stages' });
  const root = h('section', { class: 'progress', 'aria-live': 'polite' }, bar, counts, note, detail, stages);

  function show(p: Progress): void {
    const total = p.listingDone ? p.listed : Math.max(p.listed, 1);
    bar.max = total;
    bar.value = p.done;
    const errors = p.failed === 1 ? '1 error' : `${p.failed} errors`;
    replace(counts, `${p.done} / ${p.listed}${p.listingDone ? '' : '+'} images · ${errors} · ${formatRate(p.recentRate || p.rate)} images/s`,
      p.etaMs !== null && p.state === 'running' ? ` · about ${formatDuration(p.etaMs)} left` : '', ` · ${p.state}`);
    note.hidden = !p.note;
    replace(note, p.note ?? '');
    const causes = Object.entries(p.byCause).map(([cause, n]) => `${cause} ${n}`).join(', ');
    replace(detail, p.device ? `Device: ${p.device}.` : '', p.resumed ? ` ${p.resumed} images already stored by this run.` : '',
      p.cached ? ` ${p.cached} answered by earlier runs.` : '', p.skipped ? ` ${p.skipped} non-image files skipped.` : '',
      causes ? ` Errors by cause: ${causes}.` : '', p.bottleneck && p.state === 'running' ? ` Slowest stage: ${p.bottleneck}.` : '');
    replace(stages, h('tr', {}, h('th', {}, 'stage'), h('th', {}, 'in'), h('th', {}, 'out'), h('th', {}, 'queued'), h('th', {}, 'busy')),
      ...p.stages.filter((s) => s.name !== 'list').map((s) =>
        h('tr', {}, h('td', {}, s.name), h('td', {}, s.in), h('td', {}, s.out), h('td', {}, s.capacity ? `${s.queued}/${s.capacity}` : '-'),
          h('td', {}, `${Math.round(Math.min(1, s.utilization) * 100)}%`))));
  }

  return { root, show };
}
