// Failed connections, made for real against this machine, worded by their cause.

import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, get as httpGet } from 'node:http';
import { createServer as createHttpsServer, get as httpsGet } from 'node:https';
import { lookup } from 'node:dns/promises';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkReason } from '../../src/net/network-error.ts';
import { ROOT } from '../helpers/paths.ts';

const TLS = join(ROOT, 'test/fixtures/tls');

/** The error a GET to `url` ends in. */
function failure(url: string): Promise<Error> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    get(url, (res) => reject(new Error(`answered ${res.statusCode}`))).on('error', resolve);
  });
}

const listen = async (server: Server) => {
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return (server.address() as AddressInfo).port;
};

describe('networkReason', () => {
  let tls: Server;
  let plain: Server;
  let tlsPort: number;
  let plainPort: number;

  beforeAll(async () => {
    tls = createHttpsServer({ key: readFileSync(join(TLS, 'self-signed.key')), cert: readFileSync(join(TLS, 'self-signed.crt')) }, (_q, s) => s.end('ok'));
    plain = createHttpServer((_q, s) => s.end('ok'));
    tlsPort = await listen(tls);
    plainPort = await listen(plain);
  });

  afterAll(() => {
    tls?.close();
    plain?.close();
  });

  it('names a host that does not resolve, and AWS as offline', async () => {
    // .invalid never resolves (RFC 6761).
    const error = await lookup('tench-missing.invalid').then(() => null, (e: unknown) => e);
    expect(networkReason(error, 'http://tench-missing.invalid:9000')).toMatch(/^the name tench-missing\.invalid does not resolve \(DNS E[A-Z_]+\): check its spelling, or whether this machine is online$/);
    expect(networkReason(error, 'https://mybucket.s3.us-east-1.amazonaws.com')).toMatch(/^the name mybucket\.s3\.us-east-1\.amazonaws\.com does not resolve \(DNS E[A-Z_]+\): this machine looks offline, or cannot reach AWS$/);
  });

  it('names a port where nothing listens', async () => {
    const closed = createHttpServer();
    const port = await listen(closed);
    await new Promise((done) => closed.close(done));
    expect(networkReason(await failure(`http://127.0.0.1:${port}/`), `http://127.0.0.1:${port}`)).toBe(`nothing listens at http://127.0.0.1:${port} (connection refused)`);
  });

  it('names a certificate that is not trusted, and TLS spoken to a plain port', async () => {
    const origin = `https://127.0.0.1:${tlsPort}`;
    expect(networkReason(await failure(`${origin}/`), origin)).toBe(`${origin} showed a TLS certificate this machine does not trust (DEPTH_ZERO_SELF_SIGNED_CERT); use a trusted certificate, or add its CA with NODE_EXTRA_CA_CERTS`);
    const wrong = `https://127.0.0.1:${plainPort}`;
    expect(networkReason(await failure(`${wrong}/`), wrong)).toMatch(new RegExp(`^TLS with ${wrong.replaceAll('.', '\\.')} failed \\((EPROTO|ERR_SSL_[A-Z_]+)\\): does it speak plain http:// instead\\?$`));
  });

  it('finds the code on a wrapped error, and says nothing of an error without one', () => {
    expect(networkReason(new Error('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), 'http://a:1')).toBe('nothing listens at http://a:1 (connection refused)');
    expect(networkReason(new Error('something else'), 'http://a:1')).toBeNull();
  });
});
