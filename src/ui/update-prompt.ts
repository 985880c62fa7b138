// The service worker, and the banner that says a new version is waiting. A new version never
// takes over by itself: a reload in the middle of a run would interrupt it.

/// <reference types="vite-plugin-pwa/vanillajs" />
import { registerSW } from 'virtual:pwa-register';
import { h } from './dom.ts';

/**
 * Lets the waiting worker take over, then reloads. vite-plugin-pwa reloads by itself only when
 * the page already had a controller when it registered, not on a first visit, so the reload is
 * done here, and its own is turned off (onNeedReload).
 */
async function takeOver(skipWaiting: () => Promise<void>): Promise<void> {
  const registration = await navigator.serviceWorker.getRegistration();
  // Another tab may have let it take over already.
  if (!registration?.waiting) return location.reload();
  navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
  await skipWaiting();
}

export function mountUpdatePrompt(parent: HTMLElement = document.body): void {
  const skipWaiting = registerSW({
    onNeedReload() {},
    onNeedRefresh() {
      if (parent.querySelector('.update-prompt')) return;
      const reload = h('button', { type: 'button', class: 'link', onclick: () => {
        reload.disabled = true;
        void takeOver(skipWaiting);
      } }, 'Reload');
      const later = h('button', { type: 'button', class: 'link', onclick: () => banner.remove() }, 'Not now');
      const banner = h('div', { class: 'update-prompt', role: 'status', 'data-testid': 'update-prompt' },
        'A new version of tench is ready — ', reload, later);
      parent.append(banner);
    },
  });
}
