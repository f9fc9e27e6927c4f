import type { FindingRecord } from '@qcs-export/core/sink';

/**
 * A finding as an ECS document, with the choices Elastic's own Qualys VMDR integration makes, so dashboards and
 * detection rules written for it read these too: `vulnerability.id` is the QID with `enumeration: "QID"`, CVEs go to
 * `vulnerability.reference`, the CVSS v3 base score to `vulnerability.score.base`, the severity as Elastic Security's
 * upper-case label, `package.fixed_version` (Elastic's extension of ECS) beside `package.name`/`version`, and the
 * image as `container.image.*` and `resource.*`. Everything qcs-export computes (SLA, age, the finding key) and every
 * Qualys field ECS has no name for is under `qualys_cs`.
 */
export function ecsFinding(row: FindingRecord, timestamp: string, runId?: string): Record<string, unknown> {
  const names = [...new Set(row.repositories.map((r) => r.replace(/:[^:/]*$/, '')))];
  const tags = [...new Set(row.repositories.map((r) => /:([^:/]*)$/.exec(r)?.[1]).filter((t): t is string => t !== undefined))];
  const single = row.packageName !== null || row.packages.length === 1 ? (row.packages[0] ?? null) : null;
  return {
    '@timestamp': timestamp,
    event: { kind: 'state', category: ['vulnerability'], type: ['info'], dataset: 'qualys_cs.vulnerability', id: row.findingKey },
    observer: { vendor: 'Qualys', product: 'Container Security' },
    vulnerability: {
      id: String(row.qid),
      enumeration: 'QID',
      title: row.title,
      reference: row.cveIds,
      severity: row.severityLabel,
      classification: row.cvss3BaseScore === null ? null : 'CVSS',
      score: row.cvss3BaseScore === null ? null : { base: row.cvss3BaseScore, version: '3' },
      category: row.typeDetected === null ? [] : [row.typeDetected],
      published_date: row.published,
      scanner: { vendor: 'Qualys' },
    },
    package: single
      ? { name: single.name, version: single.version, fixed_version: single.fixVersion }
      : {
          name: row.packages.map((p) => p.name),
          version: row.packages.map((p) => p.version),
          fixed_version: row.packages.map((p) => p.fixVersion).filter((v) => v !== null),
        },
    container: { image: { name: names, tag: tags, hash: { all: [`sha256:${row.sha}`] } } },
    resource: { id: row.sha, name: row.repositories[0] ?? row.sha, type: 'container_image' },
    qualys_cs: {
      ...(runId === undefined ? {} : { run_id: runId }),
      finding_key: row.findingKey,
      qid: row.qid,
      severity: row.severity,
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
      threat_intel: row.threatIntel,
      layer_sha: row.layerSha,
      image_id: row.imageId,
      image_in_use: row.imageInUse,
      image_last_scanned: row.imageLastScanned,
      repositories: row.repositories,
      extra: row.extra,
    },
  };
}
