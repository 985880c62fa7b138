// A full disk is a pause with figures, not a crash: the run waits until the user frees space.

export function isQuotaError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'QuotaExceededError';
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** "12.3 MiB of 15.0 MiB": what the browser says this site uses of what it may. */
export async function storageFigures(): Promise<string> {
  const estimate = await navigator.storage?.estimate?.().catch(() => null);
  if (!estimate || estimate.usage === undefined || estimate.quota === undefined) return 'the browser gives no figures';
  return `${mib(estimate.usage)} of ${mib(estimate.quota)} used`;
}
