// One way to build an S3 client, for the page's listing and the workers' downloads alike.

import { S3Client } from '@aws-sdk/client-s3';

/** How to reach a bucket. Credentials stay in memory: never stored, logged or exported. */
export interface S3Access {
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function makeS3Client(access: S3Access): S3Client {
  return new S3Client({
    region: access.region,
    endpoint: access.endpoint,
    forcePathStyle: access.forcePathStyle,
    ...(access.credentials
      ? { credentials: access.credentials }
      // Public buckets: requests go unsigned, as Ray's s3://anonymous@ does.
      : { credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (request) => request } }),
    // S3-compatible servers reject the SDK's default flexible checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
