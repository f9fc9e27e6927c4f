import { boolean, date, float, integer, keyword, object, searchable } from './mapping-types.js';

/**
 * The mapping of finding documents (see ecs-finding.ts): ECS types for the ECS fields, explicit types for
 * `qualys_cs`, `dynamic: false` for the rest, so a new Qualys field never causes a mapping conflict.
 */
export const FINDING_PROPERTIES = {
  '@timestamp': date,
  ecs: object({ version: keyword }),
  data_stream: object({ type: keyword, dataset: keyword, namespace: keyword }),
  event: object({ kind: keyword, category: keyword, type: keyword, module: keyword, dataset: keyword, id: keyword }),
  observer: object({ vendor: keyword, product: keyword }),
  vulnerability: object({
    id: keyword,
    enumeration: keyword,
    // Keywords, so Kibana can group and sort by them; `.text` for full-text search, as ECS multi-fields do.
    title: searchable,
    description: searchable,
    reference: keyword,
    severity: keyword,
    classification: keyword,
    score: object({ base: float, version: keyword }),
    category: keyword,
    published_date: date,
    scanner: object({ vendor: keyword }),
  }),
  package: object({ name: keyword, version: keyword, fixed_version: keyword }),
  container: object({ image: object({ name: keyword, tag: keyword, hash: object({ all: keyword }) }) }),
  resource: object({ id: keyword, name: keyword, type: keyword }),
  qualys_cs: object({
    finding_key: keyword,
    // The run that wrote the document: findings of a re-exported image that this run did not write are fixed.
    run_id: keyword,
    qid: { type: 'long' },
    cve_ids: keyword,
    severity: integer,
    severity_label: keyword,
    change: keyword,
    customer_severity: integer,
    qds_score: float,
    type_detected: keyword,
    first_found: date,
    last_found: date,
    age_days: integer,
    sla_days: integer,
    sla_due_at: date,
    sla_status: keyword,
    days_overdue: integer,
    fix_available: boolean,
    fixed_version: keyword,
    patch_available: boolean,
    exempted: boolean,
    exception: object({ name: keyword, reason: keyword, end: date }),
    threat_intel: keyword,
    layer_sha: keyword,
    image_id: keyword,
    image_in_use: boolean,
    image_last_scanned: date,
    repositories: keyword,
    packages: object({ name: keyword, version: keyword, fixed_version: keyword }),
    extra: { type: 'object', enabled: false },
  }),
};

/** Fields a findings index must map so, for the export to be searchable as documented. */
export const FINDING_MAPPING_PROBES: ReadonlyArray<readonly [path: string, type: string]> = [
  ['vulnerability.id', 'keyword'],
  ['resource.id', 'keyword'],
  ['qualys_cs.sla_due_at', 'date'],
  ['qualys_cs.finding_key', 'keyword'],
];
