// Credentials that expire are renewed a few minutes before they do, once however many ask.

import { describe, expect, it } from 'vitest';
import { renewing, type Credentials } from '../../src/net/s3-client.ts';

const keys = (id: string, expiresInMs?: number): Credentials => ({ accessKeyId: id, secretAccessKey: 's', ...(expiresInMs === undefined ? {} : { expiration: Date.now() + expiresInMs }) });

describe('renewing', () => {
  it('keeps credentials that do not expire, or not soon', async () => {
    let asked = 0;
    const renew = async () => keys(`fresh-${++asked}`, 3_600_000);
    expect((await renewing(keys('static'), renew)()).accessKeyId).toBe('static');
    expect((await renewing(keys('hour', 3_600_000), renew)()).accessKeyId).toBe('hour');
    expect(asked).toBe(0);
  });

  it('renews credentials about to expire, once for requests asking together, then keeps the new ones', async () => {
    let asked = 0;
    const source = renewing(keys('old', 60_000), async () => keys(`fresh-${++asked}`, 3_600_000));
    const together = await Promise.all([source(), source(), source()]);
    expect(together.map((c) => c.accessKeyId)).toEqual(['fresh-1', 'fresh-1', 'fresh-1']);
    expect((await source()).accessKeyId).toBe('fresh-1');
    expect(asked).toBe(1);
  });

  it('keeps the old credentials when the renewal finds none', async () => {
    const source = renewing(keys('old', 60_000), async () => undefined);
    expect((await source()).accessKeyId).toBe('old');
  });
});
