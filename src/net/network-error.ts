// A failed connection in Node (the CLI, the S3 proxy) in words that name the cause: a name that
// does not resolve, nothing listening, a certificate not trusted, TLS spoken to a plain port. Its
// code, where Node gives one, stays in the sentence for whoever searches it.

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const CERTIFICATE = /^(CERT_|ERR_TLS_CERT|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT)|HOSTNAME_MISMATCH$)/;
const HANDSHAKE = /^(EPROTO$|ERR_SSL_|ERR_TLS_)/;

/** The error's code: on it, or on its cause (the AWS SDK and fetch wrap Node's errors). */
function codeOf(error: unknown): string | null {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return null;
}

/** Why `origin` could not be reached, as one clause; null when the error says nothing Node-specific. */
export function networkReason(error: unknown, origin: string): string | null {
  const code = codeOf(error);
  if (!code) return null;
  const host = URL.canParse(origin) ? new URL(origin).hostname : origin;
  if (DNS.has(code)) {
    return /(^|\.)amazonaws\.com$/.test(host)
      ? `the name ${host} does not resolve (DNS ${code}): this machine looks offline, or cannot reach AWS`
      : `the name ${host} does not resolve (DNS ${code}): check its spelling, or whether this machine is online`;
  }
  if (code === 'ECONNREFUSED') return `nothing listens at ${origin} (connection refused)`;
  if (CERTIFICATE.test(code)) return `${origin} showed a TLS certificate this machine does not trust (${code}); use a trusted certificate, or add its CA with NODE_EXTRA_CA_CERTS`;
  if (HANDSHAKE.test(code)) return `TLS with ${origin} failed (${code}): does it speak plain http:// instead?`;
  if (code === 'ETIMEDOUT') return `${origin} did not answer in time (${code})`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `${origin} cut the connection (${code})`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `there is no route to ${origin} (${code}): this machine looks offline`;
  return null;
}
