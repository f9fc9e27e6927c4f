import type { RepoDigest, RepoTag } from './record.js';

/** A tag as people write it: `registry/repository:tag`, leaving out the parts Qualys did not send. */
export const repoTagText = (r: RepoTag): string => `${r.registry ? `${r.registry}/` : ''}${r.repository ?? ''}${r.tag ? `:${r.tag}` : ''}`;

/** A digest as people write it: `registry/repository@sha256:…` (Qualys sends the hex without its algorithm). */
export const repoDigestText = (d: RepoDigest): string =>
  `${d.registry ? `${d.registry}/` : ''}${d.repository ?? ''}@${d.digest && !d.digest.includes(':') ? `sha256:${d.digest}` : (d.digest ?? '')}`;
