// A call to a worker that may die or hang: whichever comes first of its answer, its death and a
// timeout ends the wait, and every listener is let go, so nothing of the call outlives it.

import type { Lease } from './pool.ts';

/** No answer from a worker in time: it is stopped and replaced, never waited on forever. */
export class WorkerTimeout extends Error {}

export function race<T>(work: PromiseLike<T>, lease: Pick<Lease<unknown>, 'onDeath'>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const end = () => {
      clearTimeout(timer);
      off();
    };
    const timer = setTimeout(() => {
      off();
      reject(new WorkerTimeout(`${what} gave no answer in ${Math.round(ms / 1000)} s`));
    }, ms);
    const off = lease.onDeath((error) => {
      clearTimeout(timer);
      reject(error);
    });
    work.then((value) => {
      end();
      resolve(value);
    }, (error: unknown) => {
      end();
      reject(error);
    });
  });
}
