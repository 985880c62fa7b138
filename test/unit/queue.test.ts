import { describe, expect, it } from 'vitest';
import { CLOSED, createQueue } from '../../src/pipeline/queue.ts';

describe('createQueue', () => {
  it('hands items out in order and CLOSED once closed and drained', async () => {
    const q = createQueue<number>(3);
    await q.push(1);
    await q.push(2);
    q.close();
    expect(await q.pop()).toBe(1);
    expect(await q.pop()).toBe(2);
    expect(await q.pop()).toBe(CLOSED);
  });

  it('makes a producer wait while full, and never holds more than its capacity', async () => {
    const q = createQueue<number>(2);
    const pushed: number[] = [];
    const producer = (async () => {
      for (let i = 0; i < 10; i++) {
        await q.push(i);
        pushed.push(i);
      }
      q.close();
    })();
    await new Promise((r) => setTimeout(r, 20));
    // Nobody consumed: the producer is stuck after filling the queue.
    expect(pushed).toEqual([0, 1]);
    expect(q.length).toBe(2);
    const got: number[] = [];
    for (;;) {
      const x = await q.pop();
      if (x === CLOSED) break;
      got.push(x);
      expect(q.length).toBeLessThanOrEqual(2);
    }
    await producer;
    expect(got).toEqual([...Array(10).keys()]);
    expect(q.highWater).toBe(2);
    expect(q.pushed).toBe(10);
    expect(q.popped).toBe(10);
  });

  it('drains what is there without waiting', async () => {
    const q = createQueue<string>(5);
    await q.push('a');
    await q.push('b');
    expect(q.drain(10)).toEqual(['a', 'b']);
    expect(q.drain(10)).toEqual([]);
  });

  it('stops a waiting pop when its signal aborts', async () => {
    const q = createQueue<number>(1);
    const controller = new AbortController();
    const waiting = q.pop(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });

  it('refuses pushes after close and a capacity below one', async () => {
    const q = createQueue<number>(1);
    q.close();
    await expect(q.push(1)).rejects.toThrow('closed');
    expect(() => createQueue(0)).toThrow(RangeError);
  });
});
