// Which origins the S3 proxy forwards to: AWS S3's own hosts over https, and the endpoints given.

import { describe, expect, it } from 'vitest';
import { s3Upstreams } from '../../src/server/s3-proxy.ts';

const allowed = (url: string, endpoints: string[] = []) => s3Upstreams(endpoints)(new URL(url));

describe('s3Upstreams', () => {
  it("allows AWS S3's hosts, over https only", () => {
    for (const host of ['s3.amazonaws.com', 'bucket.s3.amazonaws.com', 'my.bucket.s3.us-east-1.amazonaws.com', 's3-us-west-2.amazonaws.com',
      'bucket.s3.dualstack.eu-west-1.amazonaws.com', 'bucket.s3-accelerate.amazonaws.com', 's3-fips.us-gov-west-1.amazonaws.com', 's3.cn-north-1.amazonaws.com.cn',
      'bucket--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com', 'site.s3-website-us-east-1.amazonaws.com']) {
      expect(allowed(`https://${host}`), host).toBe(true);
      expect(allowed(`http://${host}`), `http ${host}`).toBe(false);
    }
  });

  it('refuses other AWS services, look-alikes, metadata and private addresses', () => {
    for (const url of ['https://ec2.us-east-1.amazonaws.com', 'https://mys3.amazonaws.com', 'https://s3.amazonaws.com.example.org',
      'http://169.254.169.254', 'http://[fd00:ec2::254]', 'http://127.0.0.1:9000', 'https://s3.amazonaws.com:8443',
      // Names their owners choose under other services' domains.
      'https://s3-123.us-east-1.elb.amazonaws.com', 'https://s3.abc123.us-east-1.rds.amazonaws.com', 'https://s3x.execute-api.us-east-1.amazonaws.com']) {
      expect(allowed(url), url).toBe(false);
    }
  });

  it('allows the endpoints given, by scheme, host and port, and their virtual-hosted buckets', () => {
    const endpoints = ['http://127.0.0.1:9000', 'https://minio.example.org'];
    expect(allowed('http://127.0.0.1:9000', endpoints)).toBe(true);
    expect(allowed('https://minio.example.org', endpoints)).toBe(true);
    expect(allowed('https://photos.minio.example.org', endpoints)).toBe(true);
    expect(allowed('http://127.0.0.1:9001', endpoints)).toBe(false);
    expect(allowed('https://127.0.0.1:9000', endpoints)).toBe(false);
    expect(allowed('http://minio.example.org', endpoints)).toBe(false);
    expect(allowed('https://minio.example.org.evil.net', endpoints)).toBe(false);
  });
});
