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

describe('slots', () => {
  it('hands a released slot to the first waiter, never to a newcomer, and lets an aborted waiter go', async () => {
    const { createSlots } = await import('../../src/pipeline/slots.ts');
    const slots = createSlots(1);
    await slots.acquire();
    const order: string[] = [];
    const first = slots.acquire().then(() => order.push('first'));
    const quitter = new AbortController();
    const gone = slots.acquire(quitter.signal).catch(() => order.push('aborted'));
    quitter.abort(new Error('no longer needed'));
    await gone;
    slots.release();
    // A newcomer asking now waits behind the one that was woken.
    const late = slots.acquire().then(() => order.push('late'));
    await first;
    expect(slots.held).toBe(1);
    slots.release();
    await late;
    expect(order).toEqual(['aborted', 'first', 'late']);
    expect(slots.held).toBe(1);
  });
});
