// AWS credentials on the Node side: the AWS SDK's default chain, as every AWS tool reads it:
// environment keys, AWS_PROFILE and the shared files (SSO and credential_process included), web
// identity (Kubernetes IRSA), container credentials (ECS, EKS Pod Identity), then the instance's.
// The page gets what the chain resolved, in memory, and asks again before they expire; nothing
// is written anywhere.

import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { renewing, type CredentialSource, type Credentials } from '../net/s3-client.ts';

type Provider = ReturnType<typeof fromNodeProviderChain>;
let chain: Provider | null = null;
/** The chain found no source: remembered, as asking again would probe the instance metadata again. */
let none = false;

/** Said by the chain when no source holds credentials: then the requests go unsigned. */
const NONE = /could not load credentials from any providers/i;

/**
 * The credentials the chain finds, with their expiry; undefined where it finds none at all (a
 * public bucket needs none); a reason where a source is set up but fails (a profile that is not
 * there, a token file that cannot be read).
 */
export async function awsCredentials(): Promise<{ ok: true; value: Credentials | undefined } | { ok: false; reason: string }> {
  // Memoized by the SDK: asked again, it answers from memory until the credentials near expiry.
  if (none) return { ok: true, value: undefined };
  chain ??= fromNodeProviderChain();
  try {
    const c = await chain();
    return {
      ok: true,
      value: {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
        ...(c.expiration ? { expiration: c.expiration.getTime() } : {}),
      },
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A profile asked for by name and not found is a mistake, as the AWS CLI says, not a public bucket.
    const profile = process.env.AWS_PROFILE;
    if (NONE.test(message) && profile) {
      const files = [process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials', process.env.AWS_CONFIG_FILE ?? '~/.aws/config'];
      return { ok: false, reason: `AWS credentials: the profile ${profile} (AWS_PROFILE) gives none: it is not in ${files.join(' or ')}, or holds no keys, SSO, role or credential_process` };
    }
    if (NONE.test(message)) {
      none = true;
      return { ok: true, value: undefined };
    }
    return { ok: false, reason: `AWS credentials: ${message.replace(/\.$/, '')}` };
  }
}

/** For the S3 clients in Node (uploads of --out): the chain's credentials, renewed before they
 * expire; undefined where it holds none (requests go unsigned); a throw where a source fails. */
export async function nodeS3Credentials(): Promise<CredentialSource | undefined> {
  const found = await awsCredentials();
  if (!found.ok) throw new Error(found.reason);
  return found.value && renewing(found.value, async () => {
    const again = await awsCredentials();
    return again.ok ? again.value : undefined;
  });
}
