import type { RawContainer } from './containers.js';
import { containerBulk } from './container-shapes.js';
import type { Context } from './context.js';
import type { RawImage } from './data.js';
import { toDetails } from './details.js';
import { countsWithoutExceptions } from './findings.js';
import { IMAGE_FIELDS, qqlField, type QqlFields, severityField } from './qql.js';
import type { KeyedRecord, RecordStore } from './store.js';

/** What the list and bulk routes need to know of one resource (images, containers). */
export interface Resource<T extends KeyedRecord> {
  /** How messages name one record: "image", "container". */
  noun: string;
  /** The list path; the bulk API is this path with "/list". */
  path: string;
  store: RecordStore<T, string>;
  fields: QqlFields<T>;
  /** What `sort` may name, in the order the 400 message lists them. */
  sortFields: readonly string[];
  /** The records of a list page as sent. */
  listItems(items: T[]): unknown[];
  /** The records of a bulk page as sent. */
  bulkItems(items: T[]): unknown[];
}

const { date, string, strings } = qqlField;
/** The fields /containers and /containers/list filters can name. */
export const CONTAINER_FIELDS: QqlFields<RawContainer> = {
  created: date((c) => c.created),
  updated: date((c) => c.updated),
  stateChanged: date((c) => c.stateChanged),
  lastScanned: date((c) => c.lastScanned),
  sha: string((c) => c.sha),
  containerId: string((c) => c.containerId),
  uuid: string((c) => c.uuid),
  name: string((c) => c.name),
  state: string((c) => c.state),
  imageSha: string((c) => c.imageSha),
  imageId: string((c) => c.imageId),
  imageUuid: string((c) => c.imageUuid),
  privileged: string((c) => String(c.privileged)),
  'host.hostname': string((c) => c.host?.hostname),
  'host.ipAddress': string((c) => c.host?.ipAddress),
  'cluster.name': string((c) => c.cluster?.name),
  'cluster.k8s.pod.namespace': string((c) => c.cluster?.k8s.pod.namespace),
  label: strings((c) => c.label.map((l) => l.value)),
  'vulnerabilities.severity': severityField((c) => c.vulnerabilities),
};

export function imageResource(ctx: Context): Resource<RawImage> {
  return {
    noun: 'image',
    path: '/csapi/v1.3/images',
    store: ctx.store,
    fields: IMAGE_FIELDS,
    sortFields: ['created', 'updated', 'lastScanned', 'riskScore'],
    listItems: (items) => (ctx.options.listCountsExcludeExceptions ? items.map(countsWithoutExceptions) : items),
    bulkItems: (items) => items.map((image) => toDetails(image, 'bulk')),
  };
}

export function containerResource(ctx: Context): Resource<RawContainer> {
  return {
    noun: 'container',
    path: '/csapi/v1.3/containers',
    store: ctx.containers,
    fields: CONTAINER_FIELDS,
    sortFields: ['created', 'updated', 'stateChanged'],
    listItems: (items) => items,
    bulkItems: (items) => {
      // A container known by digest only still runs its image: found by imageId (the map built only when needed).
      let byId: Map<string, RawImage> | undefined;
      const imageOf = (c: RawContainer) => {
        if (c.imageSha !== null) return ctx.store.get(c.imageSha);
        byId ??= new Map(ctx.store.all().map((i) => [i.imageId, i]));
        return byId.get(c.imageId);
      };
      return items.map((c) => containerBulk(c, imageOf(c)));
    },
  };
}
