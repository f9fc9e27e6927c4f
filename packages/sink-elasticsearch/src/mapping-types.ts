/**
 * The field types every index template of this sink is built from (mapping.ts, finding-mapping.ts,
 * container-mapping.ts, software-mapping.ts), so one kind of value is mapped one way in every index.
 */
export const keyword = { type: 'keyword', ignore_above: 1024 } as const;
/** Names people search by part ("nginx" in "library/nginx"): keyword for exact filters, text for words. */
export const searchable = { type: 'keyword', ignore_above: 1024, fields: { text: { type: 'text' } } } as const;
export const text = { type: 'text' } as const;
export const date = { type: 'date' } as const;
export const long = { type: 'long' } as const;
export const integer = { type: 'integer' } as const;
export const float = { type: 'float' } as const;
export const boolean = { type: 'boolean' } as const;
/** Shapes Qualys does not fix (pass-through fields, software lists): kept in _source, not indexed, never a conflict. */
export const opaque = { type: 'object', enabled: false } as const;
export const object = <P extends Record<string, unknown>>(properties: P) => ({ properties });

/** Qualys' per-severity counts (`vulnerabilityCounts`) of an image, a container or a package. */
export const VULNERABILITY_COUNTS = object({
  severity1Count: integer,
  severity2Count: integer,
  severity3Count: integer,
  severity4Count: integer,
  severity5Count: integer,
  total: integer,
});
