import type { SoftwarePackage } from './record.js';

/**
 * One row of the "software" grain: one image × one installed package, with the image's identity and whether the
 * package is past its end of life or support at the export's start, so an auditor can list the end-of-life packages
 * in use.
 */
export interface SoftwareRecord extends Omit<SoftwarePackage, 'extra'> {
  /** sha256 of image sha, package name, version and path: stable across runs, the Elasticsearch `_id`. */
  softwareKey: string;
  sha: string;
  imageId: string | null;
  repositories: string[];
  imageInUse: boolean | null;
  /** The end-of-life date has passed at the export's start, or the stage says EOL; null when neither is known. */
  pastEndOfLife: boolean | null;
  /** The same for the end of support (EOS). */
  pastEndOfSupport: boolean | null;
  extra: Record<string, unknown>;
}
