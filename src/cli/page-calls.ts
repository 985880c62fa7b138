// The CLI's calls into the page it opened: window.tench's methods, run there by Playwright. The
// functions handed to page.evaluate run in the page, so they reach window.tench through
// globalThis, typed by the protocol both sides import; nothing here type-checks against the DOM.

import type { Page } from 'playwright-core';
import type { PageGlobals, TenchAutomation } from '../page-protocol.ts';

type Method = keyof TenchAutomation;
type Answer<M extends Method> = Awaited<ReturnType<TenchAutomation[M]>>;

/** window.tench[method](...args) in the page, and its answer. */
export function callPage<M extends Method>(page: Page, method: M, ...args: Parameters<TenchAutomation[M]>): Promise<Answer<M>> {
  return page.evaluate(([m, a]) => {
    const tench = (globalThis as unknown as PageGlobals).tench!;
    return (tench[m as Method] as (...given: unknown[]) => unknown)(...(a as unknown[]));
  }, [method, args] as [string, unknown]) as Promise<Answer<M>>;
}

/** Starts a new run or a stored one going on, paused before its first image when asked. */
export function startInPage(page: Page, start: { run: Parameters<TenchAutomation['run']>[0] } | { continue: Parameters<TenchAutomation['continue']> }, paused: boolean): Promise<Answer<'run'> | Answer<'continue'>> {
  return page.evaluate(([s, p]) => {
    const tench = (globalThis as unknown as PageGlobals).tench!;
    const going = 'run' in s ? tench.run(s.run) : tench.continue(...s.continue);
    if (p) tench.pause();
    return going;
  }, [start, paused] as const) as Promise<Answer<'run'> | Answer<'continue'>>;
}

/** Resolves once the page has loaded its store and set window.tench. */
export async function pageReady(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForFunction(() => {
    const g = globalThis as unknown as PageGlobals & { document: { body: { dataset: Record<string, string | undefined> } } };
    return g.document.body.dataset.ready === 'true' && !!g.tench;
  }, null, { timeout: timeoutMs });
}
