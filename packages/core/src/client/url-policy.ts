import { isIP } from 'node:net';
import { ConfigError, InsecureUrlError } from '../errors.js';

/** 127.0.0.0/8, ::1 and localhost: the only hosts plain http may reach, because nothing leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
  return false;
}

/**
 * Parses a configured URL and refuses plain http to anything but loopback: credentials and the inventory would
 * cross the network in clear text. `what` names the setting in the message, as the caller names it (the client
 * passes its settingName for baseUrl, a sink its option's name, e.g. "node").
 */
export function assertSecureUrl(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${what} is not a valid URL: "${url}". Write it as https://host[:port], e.g. https://gateway.qg1.apps.qualys.com`);
  }
  if (parsed.username || parsed.password) {
    throw new ConfigError(`${what} must not contain credentials; put them under auth and read them from the environment`);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:') {
    if (isLoopbackHost(parsed.hostname)) return parsed;
    throw new InsecureUrlError(
      `${what} uses plain http:// to ${parsed.hostname}, which would send credentials unencrypted; use https:// (http is allowed only for loopback hosts)`,
    );
  }
  throw new ConfigError(`${what} must be an https:// URL, got ${parsed.protocol}//`);
}
