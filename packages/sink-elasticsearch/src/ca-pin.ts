import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';

const normalized = (fingerprint: string) => fingerprint.replaceAll(':', '').toUpperCase();

/**
 * The certificate with this SHA-256 fingerprint among those an https node presents (its chain, leaf first), as
 * PEM, or undefined when none has it; throws when the node cannot be reached.
 *
 * The official client checks `caFingerprint` only after the usual certificate verification, so on its own it
 * cannot trust a self-signed or private CA; turning verification off instead (as Elastic suggests) would accept
 * any chain that merely names that CA, which an attacker can present without its key. So the export fetches the
 * pinned certificate once, unverified, and then trusts it as a CA like `tls.caFile`: the connections that follow
 * are verified in full (signatures, host name, dates) against it.
 */
export async function fetchPinnedCertificate(node: URL, fingerprint: string, timeoutMs: number, proxy: string | undefined): Promise<string | undefined> {
  const socket = await openTls(node, timeoutMs, proxy);
  try {
    const want = normalized(fingerprint);
    let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
    for (let depth = 0; cert?.raw && depth < 10; depth++) {
      if (normalized(cert.fingerprint256) === want) return new X509Certificate(cert.raw).toString();
      if (cert.issuerCertificate === cert) break;
      cert = cert.issuerCertificate;
    }
    return undefined;
  } finally {
    socket.destroy();
  }
}

/** A TLS connection to the node whose certificate is not checked yet: only read, never sent anything. */
async function openTls(node: URL, timeoutMs: number, proxy: string | undefined): Promise<TLSSocket> {
  const host = node.hostname.replace(/^\[|\]$/g, '');
  const port = Number(node.port || 443);
  const tunnel = proxy ? await connectThrough(new URL(proxy), host, port, timeoutMs) : undefined;
  return new Promise((resolve, reject) => {
    const socket = connect(
      { ...(tunnel ? { socket: tunnel } : { host, port }), ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: false, timeout: timeoutMs },
      () => resolve(socket),
    );
    socket.once('error', reject);
    socket.once('timeout', () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
  });
}

/** A tunnel to host:port through an HTTP(S) proxy (CONNECT), as the client's proxy agent opens one. */
function connectThrough(proxy: URL, host: string, port: number, timeoutMs: number): Promise<Socket> {
  const request = proxy.protocol === 'https:' ? httpsRequest : httpRequest;
  const auth = proxy.username ? `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}` : undefined;
  return new Promise((resolve, reject) => {
    const req = request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      headers: { host: `${host}:${port}`, ...(auth ? { 'proxy-authorization': `Basic ${Buffer.from(auth).toString('base64')}` } : {}) },
      timeout: timeoutMs,
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(new Error(`the proxy answered CONNECT with ${res.statusCode}`));
    });
    req.once('timeout', () => req.destroy(new Error(`the proxy did not answer CONNECT within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}
