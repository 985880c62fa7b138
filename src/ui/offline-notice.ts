// A line that says what works without the network, shown while the browser is offline.

import { h } from './dom.ts';

export const OFFLINE_TEXT = 'You are offline. Folders on this computer, the bundled sample images and models already used once still work; '
  + 'S3 buckets, lists of images on other sites and models never downloaded need the network.';

/** Inserted before `anchor`, outside it, so that re-rendering the page leaves it in place. */
export function mountOfflineNotice(anchor: HTMLElement): void {
  const notice = h('p', { class: 'offline-notice', role: 'status', 'data-testid': 'offline-notice', hidden: navigator.onLine }, OFFLINE_TEXT);
  anchor.before(notice);
  addEventListener('offline', () => (notice.hidden = false));
  addEventListener('online', () => (notice.hidden = true));
}
