import { ProtocolError } from '../errors.js';
import type { HostRef, Label } from '../record.js';
import { isPlainObject, isUnreadableDate, setField, toBool, toCount, toIsoDate, toNumber, toStr, toStringArray } from './values.js';

/**
 * Reads typed values out of one raw object. A value present but of a type the rules cannot convert is kept in
 * `extra` under its raw name, so a conversion never loses data silently.
 */
export class FieldReader {
  readonly extra: Record<string, unknown> = {};
  constructor(
    private readonly raw: Record<string, unknown>,
    known: ReadonlySet<string>,
  ) {
    for (const key of Object.keys(raw)) if (!known.has(key)) setField(this.extra, key, raw[key]);
  }
  private keep(key: string, value: unknown): null {
    setField(this.extra, key, value);
    return null;
  }
  date(key: string) {
    const v = this.raw[key];
    const iso = toIsoDate(v);
    return isUnreadableDate(v, iso) ? this.keep(key, v) : iso;
  }
  number(key: string) {
    return this.numeric(key, toNumber);
  }
  count(key: string) {
    return this.numeric(key, toCount);
  }
  private numeric(key: string, convert: (v: unknown) => number | null) {
    const v = this.raw[key];
    const n = convert(v);
    return n === null && v !== null && v !== undefined && v !== '' ? this.keep(key, v) : n;
  }
  string(key: string) {
    const v = this.raw[key];
    const s = toStr(v);
    return s === null && v !== null && v !== undefined && v !== 'null' ? this.keep(key, v) : s;
  }
  bool(key: string) {
    const v = this.raw[key];
    const b = toBool(v);
    return b === null && v !== null && v !== undefined ? this.keep(key, v) : b;
  }
  strings(key: string): string[] {
    const v = this.raw[key];
    if (v !== null && v !== undefined && typeof v !== 'string' && !Array.isArray(v)) this.keep(key, v);
    return toStringArray(v);
  }
  objects(key: string): Array<Record<string, unknown>> | null {
    const v = this.raw[key];
    if (v === null || v === undefined) return null;
    if (!Array.isArray(v)) return this.keep(key, v);
    const items = v.filter(isPlainObject);
    if (items.length !== v.length) setField(this.extra, key, v);
    return items;
  }
  object(key: string): Record<string, unknown> | null {
    const v = this.raw[key];
    if (v === null || v === undefined) return null;
    return isPlainObject(v) ? v : this.keep(key, v);
  }
}

export function toHostRef(h: Record<string, unknown> | null): HostRef | null {
  if (h === null) return null;
  return {
    sensorUuid: toStr(h['sensorUuid']),
    hostname: toStr(h['hostname']),
    ipAddress: toStr(h['ipAddress']),
    uuid: toStr(h['uuid']),
    lastUpdated: toIsoDate(h['lastUpdated']),
  };
}

export function toLabel(l: Record<string, unknown>): Label {
  return { key: toStr(l['key']) ?? '', value: toStr(l['value']) };
}

/**
 * A raw record with the sha every output is keyed by, or a ProtocolError naming what the record does have (its uuid
 * and its short id, `idField`): without a sha it could only be dropped, so the export cannot continue.
 */
export function keyedRecord(raw: unknown, noun: string, origin: string, idField: string): { raw: Record<string, unknown>; sha: string } {
  if (!isPlainObject(raw)) {
    throw new ProtocolError(`${noun} from ${origin} is ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}, not an object`);
  }
  const sha = raw['sha'];
  if (typeof sha !== 'string' || sha === '') {
    const id = [raw['uuid'] && `uuid ${String(raw['uuid'])}`, raw[idField] && `${idField} ${String(raw[idField])}`].filter(Boolean).join(', ');
    throw new ProtocolError(`${noun} from ${origin} has no "sha"${id ? ` (${id})` : ''}; every output is keyed by it, so the export cannot continue`);
  }
  return { raw, sha };
}
