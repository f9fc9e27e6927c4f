import type { AffectedPackage, FindingRecord } from '@qcs-export/core/sink';

/** The ECS version the finding documents follow (`ecs.version`). */
export const ECS_VERSION = '8.17.0';

/** ECS `vulnerability.severity` as Kibana's findings page buckets it; anything else lands in its "none" bucket. */
export type EcsSeverity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';

/**
 * Qualys severity 1–5 in Kibana's four buckets. Qualys' 1 ("minimal", 21% of findings on a real tenant) and 2 are both
 * LOW, as Elastic's own Qualys VMDR integration folds them; the export's own label (1 is INFO) stays in
 * `qualys_cs.severity_label`.
 */
export function ecsSeverity(severity: number | null): EcsSeverity {
  if (severity === null) return 'UNKNOWN';
  if (severity >= 5) return 'CRITICAL';
  if (severity === 4) return 'HIGH';
  if (severity === 3) return 'MEDIUM';
  return severity >= 1 ? 'LOW' : 'UNKNOWN';
}

/** The data stream a document belongs to, written as `data_stream.*` so Fleet-style filters and permissions apply. */
export interface DataStreamName {
  type: string;
  dataset: string;
  namespace: string;
}

/** The parts of an Elastic-style data stream name (`<type>-<dataset>-<namespace>`), or undefined for any other name. */
export function dataStreamNameOf(index: string): DataStreamName | undefined {
  const m = /^(logs|metrics|traces|synthetics)-([^-]+)-([^-]+)$/.exec(index);
  return m ? { type: m[1] as string, dataset: m[2] as string, namespace: m[3] as string } : undefined;
}

const NVD = 'https://nvd.nist.gov/vuln/detail/';

/** A finding document: the parts a container finding document extends are typed (see ecsContainerFinding). */
/**
 * What every ECS document of this sink opens with: the time, the ECS version, the data stream it goes to (if any),
 * `event.*` (a state, of the grain's category and dataset, identified by the document's key) and the observer.
 */
export function ecsEnvelope(
  timestamp: string,
  dataStream: DataStreamName | undefined,
  event: { category: string; dataset: string; id: string },
): { event: Record<string, unknown> } & Record<string, unknown> {
  return {
    '@timestamp': timestamp,
    ecs: { version: ECS_VERSION },
    ...(dataStream ? { data_stream: dataStream } : {}),
    event: {
      kind: 'state',
      category: [event.category],
      type: ['info'],
      module: 'qualys_cs',
      dataset: dataStream?.dataset ?? event.dataset,
      id: event.id,
    },
    observer: { vendor: 'Qualys', product: 'Container Security' },
  };
}

export interface EcsFindingDocument extends Record<string, unknown> {
  event: Record<string, unknown>;
  container: { image: Record<string, unknown> };
  qualys_cs: Record<string, unknown>;
}

/**
 * ECS `container.image` of an image: its repositories (registry/repository, without the tag, as ECS names an image)
 * and tags, when it has any, and `hash.all` when its sha is known.
 */
export function ecsImage(repositories: readonly string[], sha: string | null): Record<string, unknown> {
  const names = [...new Set(repositories.map((r) => r.replace(/:[^:/]*$/, '')))];
  const tags = [...new Set(repositories.map((r) => /:([^:/]*)$/.exec(r)?.[1]).filter((t): t is string => t !== undefined))];
  return {
    ...(names.length > 0 ? { name: names } : {}),
    ...(tags.length > 0 ? { tag: tags } : {}),
    ...(sha === null ? {} : { hash: { all: [`sha256:${sha}`] } }),
  };
}

/**
 * A finding as an ECS document. What each field means, and where it comes from, is the table in ecs-fields.ts (the
 * README's). The choices that differ from a literal copy of Qualys' answer:
 * - `vulnerability.id` is the CVE ids (`enumeration: CVE`), which Kibana's findings page shows and groups as "CVE";
 *   a finding without a CVE keeps its QID there (`enumeration: QID`). The QID is always `qualys_cs.qid`.
 * - `vulnerability.reference` holds URLs (the NVD page of each CVE), as ECS defines it.
 * - `package.*` is one package: at the "packages" grain every document is one image × QID × package. At the
 *   "findings" grain a finding with several packages gets their names in `package.name` and the name, version and
 *   fix of each together in `qualys_cs.packages`, never parallel arrays that cannot say which fix goes with which.
 * - `vulnerability.score.version` is left out: Qualys sends the CVSS v3 base score without its vector, so whether it
 *   is 3.0 or 3.1 is unknown.
 */
export function ecsFinding(row: FindingRecord, timestamp: string, runId?: string, dataStream?: DataStreamName): EcsFindingDocument {
  const category = typeof row.extra['category'] === 'string' && row.extra['category'] !== '' ? [row.extra['category']] : undefined;
  const cves = row.cveIds;
  return {
    ...ecsEnvelope(timestamp, dataStream, { category: 'vulnerability', dataset: 'qualys_cs.vulnerability', id: row.findingKey }),
    vulnerability: {
      id: cves.length > 0 ? cves : String(row.qid),
      enumeration: cves.length > 0 ? 'CVE' : 'QID',
      title: row.title,
      // Qualys CS sends no knowledge-base text with a finding; its title is the description there is.
      description: row.title,
      reference: cves.map((cve) => `${NVD}${encodeURIComponent(cve)}`),
      severity: ecsSeverity(row.severity),
      ...(row.cvss3BaseScore === null ? {} : { classification: 'CVSS', score: { base: row.cvss3BaseScore } }),
      ...(category ? { category } : {}),
      published_date: row.published,
      scanner: { vendor: 'Qualys' },
    },
    ...packageFields(row.packages),
    container: { image: ecsImage(row.repositories, row.sha) },
    resource: { id: row.sha, name: row.repositories[0] ?? row.sha, type: 'container_image' },
    qualys_cs: {
      // Undefined without a run id, which JSON leaves out. A conditional spread here made every document ~5× slower to build.
      run_id: runId,
      finding_key: row.findingKey,
      // Only in a compared run (run --compare-to): new, open or fixed; left out otherwise.
      change: row.change ?? undefined,
      qid: row.qid,
      cve_ids: cves,
      severity: row.severity,
      severity_label: row.severityLabel,
      customer_severity: row.customerSeverity,
      qds_score: row.qdsScore,
      type_detected: row.typeDetected,
      first_found: row.firstFound,
      last_found: row.lastFound,
      age_days: row.ageDays,
      sla_days: row.slaDays,
      sla_due_at: row.slaDueAt,
      sla_status: row.slaStatus,
      days_overdue: row.daysOverdue,
      fix_available: row.fixAvailable,
      fixed_version: row.fixedVersion,
      patch_available: row.patchAvailable,
      exempted: row.exempted,
      // Only with details: an exempted finding whose exception Qualys did not give says so by `exempted` alone.
      exception:
        row.exceptionName === null && row.exceptionReason === null && row.exceptionEndsAt === null
          ? undefined
          : { name: row.exceptionName, reason: row.exceptionReason, end: row.exceptionEndsAt },
      threat_intel: row.threatIntel,
      layer_sha: row.layerSha,
      image_id: row.imageId,
      image_in_use: row.imageInUse,
      image_last_scanned: row.imageLastScanned,
      repositories: row.repositories,
      ...(row.packages.length > 1 ? { packages: row.packages.map(packageObject) } : {}),
      extra: row.extra,
    },
  };
}

const packageObject = (p: AffectedPackage) => ({ name: p.name, version: p.version, fixed_version: p.fixVersion });

/** ECS `package.*` for one package; for several, only their names (see ecsFinding). */
function packageFields(packages: readonly AffectedPackage[]): Record<string, unknown> {
  if (packages.length === 0) return {};
  if (packages.length === 1) {
    const only = packages[0] as AffectedPackage;
    return { package: { name: only.name, version: only.version, ...(only.fixVersion === null ? {} : { fixed_version: only.fixVersion }) } };
  }
  const names = [...new Set(packages.map((p) => p.name).filter((n): n is string => n !== null))];
  return names.length > 0 ? { package: { name: names } } : {};
}
