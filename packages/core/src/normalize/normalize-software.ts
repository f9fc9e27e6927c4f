import { ProtocolError } from '../errors.js';
import type { SoftwarePackage, VulnerabilityCounts } from '../record.js';
import { FieldReader } from './field-reader.js';
import { vulnerabilityCounts } from './normalize-image.js';
import { isPlainObject, setField } from './values.js';

const KNOWN_SOFTWARE_FIELDS: ReadonlySet<string> = new Set(['name', 'version', 'fixVersion', 'packagePath', 'scanType', 'lifecycle', 'vulnerabilities']);
const KNOWN_LIFECYCLE_FIELDS: ReadonlySet<string> = new Set(['stage', 'lifeCycleConfidence', 'eol', 'eos', 'ga']);
const SEVERITY_KEYS = ['severity1Count', 'severity2Count', 'severity3Count', 'severity4Count', 'severity5Count'] as const;

/**
 * One package of `GET /csapi/v1.3/images/{sha}/software`'s `data` as a SoftwarePackage. The lifecycle object is
 * flattened (stage, confidence, and the EOL, EOS and GA dates, which Qualys sends as epoch-ms strings with
 * "-631152000000", 1950, for "unknown": null here); a missing or null lifecycle leaves those fields null. Counts are
 * read as for images, and are null when Qualys sent only nulls (or no counts object). A package without a name is
 * kept, with a null name: it is inventory all the same. Unknown fields, and known ones whose value could not be
 * converted, stay in `extra` (unknown lifecycle fields under `extra.lifecycle`). Throws ProtocolError only for an
 * item that is not an object.
 */
export function normalizeSoftware(raw: unknown): SoftwarePackage {
  if (!isPlainObject(raw)) {
    const what = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw;
    throw new ProtocolError(`a software package from GET /csapi/v1.3/images/{sha}/software is ${what}, not an object`);
  }
  const f = new FieldReader(raw, KNOWN_SOFTWARE_FIELDS);
  const lifecycleRaw = f.object('lifecycle');
  const l = new FieldReader(lifecycleRaw ?? {}, KNOWN_LIFECYCLE_FIELDS);
  const pkg: SoftwarePackage = {
    name: f.string('name'),
    version: f.string('version'),
    fixVersion: f.string('fixVersion'),
    packagePath: f.string('packagePath'),
    scanType: f.string('scanType'),
    lifecycleStage: l.string('stage'),
    lifecycleConfidence: l.string('lifeCycleConfidence'),
    endOfLife: l.date('eol'),
    endOfSupport: l.date('eos'),
    generalAvailability: l.date('ga'),
    vulnerabilityCounts: packageCounts(f, raw['vulnerabilities']),
    extra: f.extra,
  };
  if (Object.keys(l.extra).length > 0) setField(pkg.extra, 'lifecycle', l.extra);
  return pkg;
}

/** The counts object, or null when it is absent, null, or holds no count at all (every severity null). */
function packageCounts(f: FieldReader, value: unknown): VulnerabilityCounts | null {
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value)) {
    setField(f.extra, 'vulnerabilities', value);
    return null;
  }
  return SEVERITY_KEYS.some((k) => value[k] !== null && value[k] !== undefined) ? vulnerabilityCounts(value) : null;
}
