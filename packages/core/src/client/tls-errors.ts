import { CertificateError } from '../errors.js';
import type { QualysSetting } from './types.js';

/** OpenSSL's verdicts on a chain this process does not trust: a private CA, a TLS-inspecting proxy, a self-signed server. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'CERT_SIGNATURE_FAILURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
]);
/** A certificate outside its dates: a wrong clock here, or a certificate nobody renewed. */
const OUT_OF_DATE = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD']);
/** A certificate for another name: a wrong base URL, or a proxy answering for the host. */
const WRONG_NAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

/**
 * The error for a TLS connection refused because of the server's certificate, or undefined for any other failure.
 * Such a failure is the same on every attempt, so the caller does not retry it. The hint names where a CA is added
 * (the caFile setting and NODE_EXTRA_CA_CERTS) and never suggests turning verification off.
 */
export function certificateError(what: string, host: string, error: unknown, name: (setting: QualysSetting) => string): CertificateError | undefined {
  const code = certificateCode(error);
  if (code === undefined) return undefined;
  const addCa = `put the CA's certificate (PEM) in ${name('tlsCaFile')}, or in a file named by NODE_EXTRA_CA_CERTS`;
  let detail: string;
  let hint: string;
  let setting: QualysSetting | undefined = 'tlsCaFile';
  if (OUT_OF_DATE.has(code)) {
    detail = `${what}: the TLS certificate of ${host} is outside its validity dates (${code}).`;
    hint =
      "Check this machine's clock; if it is right, the certificate (Qualys', or that of a TLS-inspecting proxy in between) needs renewing. " +
      `Trusting a CA (${name('tlsCaFile')}, NODE_EXTRA_CA_CERTS) does not make an out-of-date certificate valid.`;
    setting = undefined;
  } else if (WRONG_NAME.has(code)) {
    detail = `${what}: the TLS certificate presented for ${host} is for another name (${code}).`;
    hint =
      `Check ${name('baseUrl')}; a TLS-inspecting proxy must present a certificate for this host. ` +
      `Trusting a CA (${name('tlsCaFile')}, NODE_EXTRA_CA_CERTS) does not make a certificate for another name valid.`;
    setting = 'baseUrl';
  } else {
    detail =
      `${what}: the TLS certificate of ${host} is not signed by a CA this process trusts (${code}); ` +
      'a private CA or a TLS-inspecting proxy usually signs it.';
    hint = `If that CA is your organisation's, ${addCa}; do not turn certificate checks off.`;
  }
  return new CertificateError(detail, { cause: error, hint, ...(setting === undefined ? {} : { setting }) });
}

/** The certificate verdict in an error or its causes (undici may wrap the socket's error). */
function certificateCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNTRUSTED.has(code) || OUT_OF_DATE.has(code) || WRONG_NAME.has(code))) return code;
  }
  return undefined;
}
