/**
 * The one normalized shape of a Qualys CS image, whatever endpoint or API version it came from.
 *
 * Rules (see normalize/): every date is an ISO-8601 UTC string or null; every count is a number or null;
 * a key never changes type between records; multi-valued fields are always arrays (possibly empty);
 * fields Qualys sends that this model does not know are kept under `extra`, untouched.
 */

/** ISO-8601 UTC timestamp with milliseconds, e.g. "2024-06-12T06:54:09.796Z". */
export type IsoDate = string;

export interface RepoTag {
  registry: string | null;
  repository: string | null;
  tag: string | null;
}

export interface RepoDigest {
  registry: string | null;
  repository: string | null;
  /** As Qualys sends it: usually 64 hex characters without the `sha256:` prefix. */
  digest: string | null;
}

export interface VulnerabilityCounts {
  severity1Count: number;
  severity2Count: number;
  severity3Count: number;
  severity4Count: number;
  severity5Count: number;
  /** Sum of the five severities. */
  total: number;
}

/**
 * One finding from the details, /vuln or bulk shape. Bulk records carry only qid/result/software; details add
 * severity, CVEs and dates; /vuln adds CVSS, customer severity and threat intelligence. Fields not listed here stay
 * in `extra` (cvssInfo and cvss3Info whole, threatIntel with its name lists), so nothing Qualys sends is lost.
 */
/**
 * An exception (risk acceptance, false positive, …) over an image's findings, from `GET …/images/{sha}/exceptions` or
 * the image record's `exceptions`. Qualys does not say which QIDs an exception covers (its QID list is `listId`), so
 * a finding of an image with several active exceptions carries them combined: names and distinct reasons joined with
 * "; ", the latest start and the earliest end, the first day one of them may lapse.
 */
export interface FindingException {
  name: string | null;
  /** Qualys' reason code, e.g. RISK_ACCEPTED, FALSE_POSITIVE. */
  reason: string | null;
  explanation: string | null;
  startsAt: IsoDate | null;
  endsAt: IsoDate | null;
}

export interface VulnerabilityFinding {
  qid: number | null;
  severity: number | null;
  title: string | null;
  result: string | null;
  typeDetected: string | null;
  firstFound: IsoDate | null;
  lastFound: IsoDate | null;
  layerSha: string | null;
  software: Array<Record<string, unknown>>;
  /** CVE ids (`cveids`); empty when Qualys lists none. */
  cveIds: string[];
  patchAvailable: boolean | null;
  customerSeverity: number | null;
  qdsScore: number | null;
  /** `cvss3Info.baseScore`, the rating FedRAMP asks for next to the Qualys severity. */
  cvss3BaseScore: number | null;
  published: IsoDate | null;
  isExempted: boolean | null;
  /**
   * The exception covering the finding when it is exempted and Qualys says which (see FindingException); null when not
   * exempted, or when no exception could be read for it.
   */
  exception: FindingException | null;
  /** The `threatIntel` flags that are true (Qualys sends true or null, never false). */
  threatIntel: string[];
  extra: Record<string, unknown>;
}

export interface HostRef {
  sensorUuid: string | null;
  hostname: string | null;
  ipAddress: string | null;
  uuid: string | null;
  lastUpdated: IsoDate | null;
}

export interface ComplianceCounts {
  failCount: number;
  passCount: number;
  errorCount: number;
}

export interface Layer {
  id: string | null;
  sha: string | null;
  size: number | null;
  created: IsoDate | null;
  createdBy: string | null;
  comment: string | null;
  tags: string[];
  extra: Record<string, unknown>;
}

export interface Label {
  key: string;
  value: string | null;
}

/** Which endpoint a record was read from; the shapes differ (see docs/qualys-api.md §1–3). */
export type RecordOrigin = 'images' | 'images/list' | 'images/details';

export interface ImageRecord {
  sha: string;
  imageId: string | null;
  uuid: string | null;

  repo: RepoTag[];
  repoDigests: RepoDigest[];

  created: IsoDate | null;
  updated: IsoDate | null;
  lastUsedDate: IsoDate | null;
  lastScanned: IsoDate | null;
  lastVmScanDate: IsoDate | null;
  lastComplianceScanDate: IsoDate | null;
  lastAssessed: IsoDate | null;
  firstFound: IsoDate | null;
  riskScoreCalculatedDate: IsoDate | null;
  criticalityUpdated: IsoDate | null;
  sbomLayerProcessingTimestamp: IsoDate | null;
  baseImageProcessingTimestamp: IsoDate | null;

  size: number | null;
  operatingSystem: string | null;
  author: string | null;
  dockerVersion: string | null;
  customerUuid: string | null;

  /** Severity counts; null when the endpoint gave none (bulk records carry findings without severity). */
  vulnerabilityCounts: VulnerabilityCounts | null;
  /** Findings; null when the endpoint gives only counts (the /images list). */
  vulnerabilities: VulnerabilityFinding[] | null;
  /**
   * Installed packages (`/images/{sha}/software`), only when the run fetched them for a sink that writes the software
   * grain; null when Qualys holds none for the image.
   */
  software?: SoftwarePackage[] | null;

  riskScore: number | null;
  maxQdsScore: number | null;
  qdsSeverity: string | null;
  criticality: number | null;

  associatedContainersCount: number | null;
  associatedHostsCount: number | null;
  childImagesCount: number | null;

  source: string[];
  scanTypes: string[];
  scanStatus: string | null;
  scanErrorCode: string | null;
  scanErrorMessage: string | null;

  isDockerHubOfficial: boolean | null;
  isInstrumented: boolean | null;
  isContinuouslyAssessed: boolean | null;
  instrumentedFrom: string | null;
  instrumentationState: string | null;

  lastFoundOnHost: HostRef | null;
  compliance: ComplianceCounts | null;
  registryUuid: string[];
  baseImage: string | null;
  labels: Label[];
  layers: Layer[] | null;

  origin: RecordOrigin;
  /** Fields this model does not know (new Qualys fields), or known fields whose value had an unexpected type. */
  extra: Record<string, unknown>;
}

/**
 * One package installed on an image, as `GET /csapi/v1.3/images/{sha}/software` lists it, normalized: lifecycle dates
 * as ISO (Qualys' placeholder for "unknown", -631152000000, is null, not 1950), counts as for images.
 */
export interface SoftwarePackage {
  name: string | null;
  version: string | null;
  fixVersion: string | null;
  packagePath: string | null;
  scanType: string | null;
  /** GA, EOL, EOS, … as Qualys sends it. */
  lifecycleStage: string | null;
  lifecycleConfidence: string | null;
  endOfLife: IsoDate | null;
  endOfSupport: IsoDate | null;
  generalAvailability: IsoDate | null;
  /** Vulnerabilities in this package by severity; null when Qualys sent only nulls. */
  vulnerabilityCounts: VulnerabilityCounts | null;
  extra: Record<string, unknown>;
}
