import { createRandom, type Random } from '@qcs-export/test-fixtures';
import type { RawImage } from './data.js';
import type { SortSpec } from './store.js';

/** A host as a container record names it (the image list's `lastFoundOnHost` shape, `lastUpdated` an ISO date). */
export interface RawHost {
  sensorUuid: string;
  hostname: string;
  ipAddress: string;
  uuid: string;
  lastUpdated: string;
}

/** The Kubernetes context a sensor in a cluster reports with a container. */
export interface RawCluster {
  name: string;
  uid: string;
  version: string;
  type: 'K8S';
  k8s: {
    pod: {
      name: string;
      uuid: string;
      namespace: string;
      controller: { type: 'ReplicaSet' | 'DaemonSet' | 'StatefulSet' | 'Job'; name: string };
    };
  };
}

/** One container as GET /csapi/v1.3/containers returns it (Qualys' list sample), quirks included. */
export interface RawContainer {
  sha: string;
  /** The first 12 hex digits of the sha, as Docker shows it. */
  containerId: string;
  uuid: string;
  name: string;
  state: 'RUNNING' | 'STOPPED' | 'DELETED' | 'EXITED' | 'PAUSED';
  created: string;
  updated: string;
  stateChanged: string;
  /** Null (with `imageUuid`) for a container whose image Qualys knows only by digest, as its second list sample. */
  imageSha: string | null;
  imageId: string;
  imageUuid: string | null;
  imageDigest: string;
  host: RawHost | null;
  ipv4: string | null;
  privileged: boolean;
  label: Array<{ key: string; value: string }>;
  /** Its image's severity counts; null when the image was never scanned. */
  vulnerabilities: Record<string, number | null> | null;
  lastScanned: string | null;
  /** Null outside Kubernetes, and for some Kubernetes containers known only by their io.kubernetes.* labels. */
  cluster: RawCluster | null;
  [newerField: string]: unknown;
}

export type ContainerSortField = 'created' | 'updated' | 'stateChanged';

/** How /containers sorts: by created (the client's page order), updated (its keyset) or stateChanged. */
export const CONTAINER_SORT: SortSpec<RawContainer, ContainerSortField> = {
  values: { created: (c) => Number(c.created), updated: (c) => Number(c.updated), stateChanged: (c) => Number(c.stateChanged) },
  indexed: ['created', 'updated', 'stateChanged'],
};

export interface GenerateContainersOptions {
  /** The clock the data set is anchored at. Default: 2026-11-01T00:00:00Z (as the images). */
  now?: number;
}

const DAY = 86_400_000;
const CLUSTERS = [
  { name: 'prod-eks-us-east-1', version: 'v1.29.4-eks-036c24b', weight: 6 },
  { name: 'prod-gke-europe-west1', version: 'v1.28.9-gke.1289000', weight: 3 },
  { name: 'staging-aks', version: 'v1.30.1', weight: 1 },
];
const NAMESPACES = [
  { name: 'payments', weight: 20 },
  { name: 'checkout', weight: 14 },
  { name: 'web', weight: 14 },
  { name: 'data', weight: 12 },
  { name: 'kube-system', weight: 12 },
  { name: 'monitoring', weight: 10 },
  { name: 'default', weight: 10 },
  { name: 'batch', weight: 8 },
];
const STATES: Array<{ name: RawContainer['state']; weight: number }> = [
  { name: 'RUNNING', weight: 72 },
  { name: 'STOPPED', weight: 11 },
  { name: 'DELETED', weight: 10 },
  { name: 'EXITED', weight: 5 },
  { name: 'PAUSED', weight: 2 },
];
const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';
/** Seeds the container stream apart from the images', so adding containers changes no image. */
const CONTAINER_SALT = 0xc0a7a1e5;

/** One of `items`, each as likely as its weight. */
export function weighted<T extends { weight: number }>(r: Random, items: readonly T[]): T {
  let n = r.float() * items.reduce((s, i) => s + i.weight, 0);
  for (const item of items) {
    n -= item.weight;
    if (n < 0) return item;
  }
  return items[items.length - 1] as T;
}

const suffix = (r: Random, length: number) => Array.from({ length }, () => r.pick([...ALNUM])).join('');

/** How one image is deployed: where its containers mostly run and what controls them. */
interface Profile {
  app: string;
  kubernetes: boolean;
  cluster: number;
  namespace: string;
  controller: RawCluster['k8s']['pod']['controller']['type'];
  templateHash: string;
  digest: string;
  replicas: number;
}

function controllerFor(r: Random, namespace: string): Profile['controller'] {
  if (namespace === 'batch') return 'Job';
  if (namespace === 'data') return r.chance(0.7) ? 'StatefulSet' : 'ReplicaSet';
  if (namespace === 'kube-system' || namespace === 'monitoring') return r.chance(0.6) ? 'DaemonSet' : 'ReplicaSet';
  return r.chance(0.9) ? 'ReplicaSet' : 'StatefulSet';
}

/**
 * Makes containers for images: the deterministic generator below, and the containers added while a crawl runs.
 * Keeps each image's deployment (cluster, namespace, controller) and the hosts of each cluster.
 */
export class ContainerFactory {
  private readonly profiles = new Map<string, Profile>();
  private readonly hosts: RawHost[][];

  constructor(
    private readonly r: Random,
    private readonly now: number,
    expected: number,
  ) {
    // Nodes per cluster (and one pool of plain Docker hosts): about one per 25 containers, 2 to 60.
    const nodes = Math.min(60, Math.max(2, Math.round(expected / 25)));
    this.hosts = [...CLUSTERS, { name: 'docker' }].map((_, c) =>
      Array.from({ length: nodes }, () => {
        const ip = `10.${c * 16 + r.int(0, 15)}.${r.int(0, 255)}.${r.int(1, 254)}`;
        return {
          sensorUuid: r.uuid(),
          hostname: c < CLUSTERS.length ? `ip-${ip.replaceAll('.', '-')}.ec2.internal` : `docker-${r.int(1, 99)}.example.com`,
          ipAddress: ip,
          uuid: r.uuid(),
          lastUpdated: new Date(now - r.int(0, 2 * DAY)).toISOString(),
        };
      }),
    );
  }

  private profile(image: RawImage): Profile {
    let p = this.profiles.get(image.sha);
    if (!p) {
      const r = this.r;
      const namespace = weighted(r, NAMESPACES).name;
      const app = (image.repo[0]?.repository.split('/').pop() ?? 'app').toLowerCase().replace(/[^a-z0-9-]/g, '') || 'app';
      p = {
        app,
        kubernetes: r.chance(0.8),
        cluster: CLUSTERS.indexOf(weighted(r, CLUSTERS)),
        namespace,
        controller: controllerFor(r, namespace),
        templateHash: suffix(r, 10),
        digest: image.repoDigests[0]?.digest ?? r.hex(64),
        replicas: 0,
      };
      this.profiles.set(image.sha, p);
    }
    return p;
  }

  /**
   * One container of this image, created at or after the image (and at most a year before now). `tie`: an earlier
   * container whose `updated` this one shares when it can, so the bulk cursor meets ties.
   */
  make(image: RawImage, createdAt?: number, tie?: RawContainer): RawContainer {
    const { r, now } = this;
    const p = this.profile(image);
    const replica = p.replicas++;
    const sha = r.hex(64);
    const imageCreated = Number(image.created);
    const created = createdAt ?? Math.max(imageCreated + r.int(1, 600_000), now - r.int(0, 365) * DAY - r.int(0, DAY - 1));
    const state = weighted(r, STATES).name;
    // A later update lands between the container's creation and now, at a millisecond of its own: clamping it to now
    // would give thousands of running containers one updated value, a tie no real subscription has at that size.
    const later = r.int(0, 90) * DAY + r.int(0, DAY - 1);
    let updated = r.chance(0.3) ? created : created + later <= now ? created + later : created + r.int(0, Math.max(0, now - created));
    if (tie && Number(tie.updated) >= created) updated = Number(tie.updated);
    const stateChanged = state === 'RUNNING' ? Math.min(updated, created + r.int(0, 60_000)) : updated - r.int(0, Math.min(updated - created, DAY));
    const byDigestOnly = r.chance(0.02);
    // Most containers run where their image's deployment runs; a hot image's spread over every cluster.
    const home = r.chance(0.85);
    const cluster = home ? p.cluster : r.int(0, CLUSTERS.length - 1);
    const namespace = home ? p.namespace : weighted(r, NAMESPACES).name;
    const pool = this.hosts[p.kubernetes ? cluster : CLUSTERS.length] as RawHost[];
    const host = r.chance(0.05) ? null : { ...(r.pick(pool) as RawHost) };
    const container: RawContainer = {
      sha,
      containerId: sha.slice(0, 12),
      uuid: r.uuid(),
      name: '',
      state,
      created: String(created),
      updated: String(updated),
      stateChanged: String(stateChanged),
      imageSha: byDigestOnly ? null : image.sha,
      imageId: image.imageId,
      imageUuid: byDigestOnly ? null : image.uuid,
      imageDigest: `sha256:${p.digest}`,
      host,
      ipv4: r.chance(0.1) ? null : `${p.kubernetes ? `10.${100 + cluster}` : '172.17'}.${r.int(0, 255)}.${r.int(2, 254)}`,
      privileged: r.chance(p.controller === 'DaemonSet' && namespace === 'kube-system' ? 0.5 : 0.03),
      label: [],
      vulnerabilities: image.vulnerabilities === null ? null : { ...image.vulnerabilities },
      lastScanned: image.lastVmScanDate,
      cluster: null,
    };
    if (!p.kubernetes) {
      container.name = `/${p.app}-${replica + 1}`;
      if (r.chance(0.5)) container.label = [{ key: 'com.docker.compose.service', value: p.app }];
      return container;
    }
    const info = CLUSTERS[cluster] as (typeof CLUSTERS)[number];
    const job = `${p.app}-${Math.floor(created / 60_000)}`;
    const controller = { ReplicaSet: `${p.app}-${p.templateHash}`, DaemonSet: p.app, StatefulSet: p.app, Job: job }[p.controller];
    const pod =
      p.controller === 'StatefulSet' ? `${p.app}-${replica}` : p.controller === 'DaemonSet' ? `${p.app}-${suffix(r, 5)}` : `${controller}-${suffix(r, 5)}`;
    const podUid = r.uuid();
    container.name = `k8s_${p.app}_${pod}_${namespace}_${podUid}_${r.chance(0.9) ? 0 : r.int(1, 9)}`;
    container.label = [{ key: 'io.kubernetes.container.name', value: p.app }];
    // Some sensors report no cluster: only the runtime's io.kubernetes.* labels tell where the container runs.
    if (r.chance(0.2)) {
      container.label.push(
        { key: 'io.kubernetes.pod.namespace', value: namespace },
        { key: 'io.kubernetes.pod.name', value: pod },
        { key: 'io.kubernetes.pod.uid', value: podUid },
      );
      return container;
    }
    container.cluster = {
      name: info.name,
      uid: `${(cluster + 1).toString(16).padStart(8, '0')}-c1a5-4e00-8000-00000000c1a5`,
      version: info.version,
      type: 'K8S',
      k8s: { pod: { name: pod, uuid: podUid, namespace, controller: { type: p.controller, name: controller } } },
    };
    return container;
  }
}

/**
 * How many containers each image runs, with the skew of a real estate: about 70% of the images run nowhere, about
 * 1.5% carry most containers (the top one hundreds when the count allows: "runs everywhere", shares falling off
 * as 1/rank), the rest run 1 to 5 each (together at most 45% of the containers).
 */
export function containerSkew(r: Random, images: number, count: number): number[] {
  const runs = new Array<number>(images).fill(0);
  if (images === 0 || count <= 0) return runs;
  const order = Array.from({ length: images }, (_, i) => i);
  for (let i = images - 1; i > 0; i--) {
    const j = r.int(0, i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const hot = Math.max(1, Math.round(images * 0.015));
  const active = Math.max(hot, Math.round(images * 0.3));
  let warmBudget = Math.floor(count * 0.45);
  for (const i of order.slice(hot, active)) {
    const k = Math.min(r.int(1, 5), warmBudget);
    runs[i] = k;
    warmBudget -= k;
  }
  const rest = count - runs.reduce((s, n) => s + n, 0);
  const weights = Array.from({ length: hot }, (_, k) => 1 / (k + 1));
  const total = weights.reduce((s, w) => s + w, 0);
  let given = 0;
  weights.forEach((w, k) => {
    const n = Math.floor((rest * w) / total);
    runs[order[k] as number] = n;
    given += n;
  });
  runs[order[0] as number] = (runs[order[0] as number] as number) + rest - given;
  return runs;
}

/**
 * The deterministic containers of an image set: `count` containers over `images` with a realistic skew (see
 * containerSkew), Kubernetes context (three clusters, eight namespaces, skewed) on most, plain Docker on the rest.
 * The same (images, count, seed, options) give identical records; the images are read, never changed.
 */
export function generateContainers(images: readonly RawImage[], count: number, seed: number, options: GenerateContainersOptions = {}): RawContainer[] {
  const r = createRandom((seed ^ CONTAINER_SALT) >>> 0);
  const factory = new ContainerFactory(r, options.now ?? Date.UTC(2026, 10, 1), count);
  const runs = containerSkew(r, images.length, count);
  const containers: RawContainer[] = [];
  images.forEach((image, i) => {
    for (let n = 0; n < (runs[i] as number); n++) {
      const k = containers.length;
      // Every 25th container starts with the one before (a rollout), every 20th changes with it.
      const previous = containers[k - 1];
      const created = k % 25 === 3 && previous && Number(previous.created) >= Number(image.created) ? Number(previous.created) : undefined;
      containers.push(factory.make(image, created, k % 20 === 7 ? previous : undefined));
    }
  });
  return containers;
}
