import { isLoopbackHost } from './url-policy.js';

/** The proxy settings of an environment; lower-case names win over upper-case ones, as curl and undici read them. */
export interface ProxyEnv {
  httpsProxy: string | undefined;
  httpProxy: string | undefined;
  noProxy: string;
}

/** Reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY (and their lower-case forms, which win) from `env`. */
export function proxyEnvOf(env: NodeJS.ProcessEnv): ProxyEnv {
  const pick = (name: string) => env[name.toLowerCase()] || env[name] || undefined;
  return { httpsProxy: pick('HTTPS_PROXY'), httpProxy: pick('HTTP_PROXY'), noProxy: pick('NO_PROXY') ?? '' };
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * Whether NO_PROXY exempts this host and port. The entries are read as undici's EnvHttpProxyAgent reads them (the
 * Qualys client's dispatcher), so both clients of a run agree: separated by commas or spaces, `*` for every host,
 * `host` or `.host` or `*.host` for the host and its subdomains, `host:port` for one port only.
 */
export function noProxyMatches(noProxy: string, hostname: string, port: number): boolean {
  const value = noProxy.trim();
  if (value === '*') return true;
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (const entry of value.split(/[,\s]/)) {
    if (!entry) continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const entryHost = (parsed ? (parsed[1] as string) : entry)
      .replace(/^\*?\./, '')
      .replace(/^\[|\]$/g, '')
      .toLowerCase();
    if (parsed && Number(parsed[2]) !== port) continue;
    if (host === entryHost || host.endsWith(`.${entryHost}`)) return true;
  }
  return false;
}

/**
 * The proxy a request to `target` goes through, or undefined for a direct connection: none for a loopback host
 * (nothing to cross), none when NO_PROXY exempts it, else HTTPS_PROXY for https (HTTP_PROXY when that is unset)
 * and HTTP_PROXY for http.
 */
export function proxyFor(target: string | URL, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  if (isLoopbackHost(url.hostname)) return undefined;
  const { httpsProxy, httpProxy, noProxy } = proxyEnvOf(env);
  const port = Number.parseInt(url.port, 10) || DEFAULT_PORTS[url.protocol] || 0;
  if (noProxyMatches(noProxy, url.hostname, port)) return undefined;
  return url.protocol === 'https:' ? (httpsProxy ?? httpProxy) : httpProxy;
}
