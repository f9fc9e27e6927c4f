import { createHash } from 'node:crypto';
import type { ImageRecord } from '../record.js';
import { repoTagText } from '../record-text.js';
import type { SoftwarePackage } from '../record.js';
import type { SoftwareRecord } from '../software-record.js';

/**
 * The rows of one image at the "software" grain: one per installed package the run fetched for it (none when it
 * fetched none). A package listed twice (same name, version and path) is one row, so every key is written once.
 */
export function softwareRows(image: ImageRecord, now: Date): SoftwareRecord[] {
  const rows: SoftwareRecord[] = [];
  const seen = new Set<string>();
  const repositories = image.repo.map(repoTagText);
  const imageInUse = image.associatedContainersCount === null ? null : image.associatedContainersCount > 0;
  for (const pkg of image.software ?? []) {
    const key = softwareKey(image.sha, pkg);
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({
      ...pkg,
      softwareKey: key,
      sha: image.sha,
      imageId: image.imageId,
      repositories,
      imageInUse,
      pastEndOfLife: past(pkg.endOfLife, now, pkg.lifecycleStage, 'EOL'),
      pastEndOfSupport: past(pkg.endOfSupport, now, pkg.lifecycleStage, 'EOS'),
    });
  }
  return rows;
}

/** sha256 of the image sha and the package's name, version and path, in hex. */
export function softwareKey(sha: string, pkg: Pick<SoftwarePackage, 'name' | 'version' | 'packagePath'>): string {
  return createHash('sha256')
    .update([sha, pkg.name ?? '', pkg.version ?? '', pkg.packagePath ?? ''].join('\u0000'))
    .digest('hex');
}

/**
 * True for a date at or before the export's start or a stage that names the end ("EOL", "EOL/EOS"); false for a later
 * date or a package still generally available ("GA") without one; null when neither says.
 */
function past(date: string | null, now: Date, stage: string | null, word: 'EOL' | 'EOS'): boolean | null {
  if (date !== null) return Date.parse(date) <= now.getTime();
  const words = stage?.toUpperCase().split(/[^A-Z]+/) ?? [];
  if (words.includes(word)) return true;
  return words.includes('GA') ? false : null;
}
