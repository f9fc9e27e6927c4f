/**
 * The wire shapes the simulator serves, typed exactly as Qualys sends them (QUALYS_API.md §4): epoch-ms as
 * strings in some fields and numbers in others, an ISO string in lastFoundOnHost, nulls where the samples have them.
 */

export interface RawRepoTag {
  registry: string;
  tag: string;
  repository: string;
}

export interface RawRepoDigest {
  registry: string;
  digest: string;
  repository: string;
}

/** Key order as in the v1.3 sample: 5, 3, 4, 1, 2. */
export interface RawVulnCounts {
  severity5Count: number;
  severity3Count: number;
  severity4Count: number;
  severity1Count: number;
  severity2Count: number;
}

export interface RawHost {
  sensorUuid: string;
  hostname: string;
  ipAddress: string;
  uuid: string;
  /** ISO-8601, unlike every other date of the record. */
  lastUpdated: string;
}

export interface RawCompliance {
  failCount: number;
  passCount: number;
  errorCount: number;
}

/** A made-up "future" field, present on some records, so exporters' pass-through of unknown keys is exercised. */
export interface RawSbomSummary {
  format: string;
  specVersion: string;
  componentCount: number;
  generated: string;
}

/** One image as GET /csapi/v1.3/images returns it (the list summary). */
export interface RawImage {
  created: string;
  updated: string;
  lastUsedDate: string;
  sha: string;
  repo: RawRepoTag[];
  repoDigests: RawRepoDigest[];
  uuid: string;
  size: number;
  vulnerabilities: RawVulnCounts | null;
  imageId: string;
  associatedContainersCount: number;
  associatedHostsCount: number;
  lastVmScanDate: string | null;
  registryUuid: string[] | null;
  source: string[];
  isDockerHubOfficial: boolean;
  isInstrumented: boolean;
  instrumentedFrom: string | null;
  instrumentationState: string | null;
  scanType: null;
  scanTypes: string[];
  scanErrorCode: string | null;
  scanStatus: string;
  lastFoundOnHost: RawHost | null;
  exceptions: null;
  riskScore: number | null;
  riskScoreCalculatedDate: number | null;
  maxQdsScore: number | null;
  qdsSeverity: 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' | null;
  lastScannedBySensor: null;
  scanErrorMessage: string | null;
  criticality: number | null;
  criticalityUpdated: number | null;
  baseImage: null;
  childImagesCount: number;
  sbomLayerProcessingTimestamp: null;
  baseImageProcessingTimestamp: null;
  compliance: RawCompliance;
  lastComplianceScanDate: string;
  isContinuouslyAssessed: boolean;
  /** Epoch ms as a number (type not documented; chosen to differ from `firstFound`). */
  lastAssessed: number | null;
  /** Epoch ms as a string. */
  firstFound: string;
  sbomSummary?: RawSbomSummary;
}

export interface RawLabel {
  key: string;
  value: string;
}

export interface RawLayer {
  /** Bytes as a STRING (a number at the image level). */
  size: string;
  createdBy: string;
  /** Epoch ms as a string. */
  created: string;
  comment: string | null;
  id: string | null;
  sha: string;
  tags: string[] | null;
  layerNumber: number;
  isBaseLayer: boolean;
  isEmptyLayer: boolean;
}

export interface RawSoftwareRef {
  name: string;
  version: string;
  fixVersion: string | null;
}

/** A finding as the bulk API returns it: only qid, result and software (QUALYS_API.md §1.2). */
export interface RawBulkFinding {
  qid: number;
  result: string;
  software: RawSoftwareRef[];
}

/** A finding as GET /images/{sha} returns it: the bulk fields plus severity, dates and detection data. */
export interface RawDetailFinding extends RawBulkFinding {
  title: string;
  severity: number;
  typeDetected: string;
  firstFound: string;
  lastFound: string;
  layerSha: string | null;
  patchAvailable: boolean;
}

/** The details shape: list fields minus the counts object, plus details-only fields. */
export type RawImageDetailsBase = Omit<RawImage, 'vulnerabilities'> & {
  author: string | null;
  label: RawLabel[] | null;
  operatingSystem: string | null;
  customerUuid: string;
  dockerVersion: string;
  layers: RawLayer[];
};

/** One item of GET /csapi/v1.3/images/list. `vulnerabilities` is null when the image was never scanned. */
export type RawBulkImage = RawImageDetailsBase & { vulnerabilities: RawBulkFinding[] | null };

/** GET /csapi/v1.3/images/{sha}. */
export type RawImageDetails = RawImageDetailsBase & { host: RawHost[]; vulnerabilities: RawDetailFinding[] | null };
