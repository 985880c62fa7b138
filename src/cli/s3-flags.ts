// The S3 server a command talks to, for `classify` and `merge` alike: --s3-endpoint and
// --s3-region, else the variables every AWS tool reads.

import type { Option } from 'commander';
import { inputOf } from '../settings.ts';
import { usage, type Outcome } from './exit.ts';
import { fromEnv, tableOption } from './options.ts';

export interface S3Given {
  s3Endpoint?: string;
  s3Region?: string;
}

export function s3Options(): Option[] {
  return [tableOption(inputOf('s3Endpoint')), tableOption(inputOf('s3Region'))];
}

/**
 * The S3 endpoint and region as given, else as the variables say. An endpoint that is no URL is a
 * usage error, named by where it came from.
 */
export async function s3Given(flags: S3Given, env: Record<string, string | undefined> = process.env): Promise<Outcome<S3Given>> {
  const endpointInput = inputOf('s3Endpoint');
  const endpoint = flags.s3Endpoint !== undefined ? { name: endpointInput.flag, value: flags.s3Endpoint } : fromEnv(endpointInput, env);
  const region = flags.s3Region ?? fromEnv(inputOf('s3Region'), env)?.value;
  // Loaded here, not with this module: it brings the AWS SDK, which --help does without.
  const { isEndpointUrl } = await import('../datasets/s3.ts');
  if (endpoint && !isEndpointUrl(endpoint.value)) return usage(`${endpoint.name} ${endpoint.value} is not an http(s) URL, such as http://localhost:9000`);
  return { ok: true, value: { s3Endpoint: endpoint?.value, s3Region: region } };
}
