import { resolve } from 'node:path';
import { isPair, isScalar, isSeq, visit, type Document } from 'yaml';
import { isSecretPath, type KeyPath } from './paths.js';
import { readSecretFileSync, type SecretFile } from './secret-file.js';

export interface InterpolationIssue {
  path: KeyPath;
  /** 0-based offset in the file, for the line number. */
  offset: number | undefined;
  message: string;
  /** What went wrong, e.g. "env:QUALYS_PASSWORD" or "file:/run/secrets/x", so one cause is reported once. */
  cause: string;
}

/** Where one substitution in a value came from, for messages about that value. */
export type ValueSource = { kind: 'env'; name: string; used: 'env' | 'default' | 'missing' } | { kind: 'file'; path: string };

/** A value that had at least one ${VAR} or ${file:…} substituted, so its type may need converting. */
export interface InterpolatedValue {
  path: KeyPath;
  offset: number | undefined;
  /** The value as written in the config, e.g. "${PS:-100}". */
  template: string;
  /** The value after substitution. */
  value: string;
  sources: ValueSource[];
  /**
   * Whether the value may hold a credential, so no message shows it: it sits under a credential key, or comes from a
   * secret file, or from a variable that the config also uses for a credential (`${PASS}` for both
   * source.auth.password and, by mistake, pageSize).
   */
  sensitive: boolean;
}

export interface Interpolation {
  issues: InterpolationIssue[];
  values: InterpolatedValue[];
  /** The text every sensitive substitution put in (a variable's value, a secret file's content): never to be printed. */
  secrets: string[];
}

const PATTERN = /\$\$\{|\$\{file:([^}]+)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g;

/** Gives the content of a ${file:…} secret by its absolute path. */
export type SecretReader = (path: string) => SecretFile;

/**
 * The absolute path of every ${file:…} in the document's string values, as interpolateDocument resolves them, so
 * they can be read (asynchronously, with a timeout) before it runs.
 */
export function secretFilePaths(doc: Document, baseDir = process.cwd()): string[] {
  const paths = new Set<string>();
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${file:')) return;
      for (const [match, file] of node.value.matchAll(PATTERN)) if (match !== '$${' && file !== undefined) paths.add(resolve(baseDir, file.trim()));
    },
  });
  return [...paths];
}

/**
 * Replaces ${VAR}, ${VAR:-default} and ${VAR:?message} in string values (never in keys, and after YAML parsing,
 * so a value from the environment cannot add structure to the config). ${file:PATH} is the content of a file
 * (a mounted secret), without its final line break; a relative PATH is against `baseDir`, the config's directory.
 * $${ stands for a literal ${. Returns the problems instead of throwing, so every one is reported at once, and
 * which values were interpolated, since only those may be converted to the type the schema expects.
 */
export function interpolateDocument(
  doc: Document,
  env: NodeJS.ProcessEnv,
  baseDir = process.cwd(),
  readSecret: SecretReader = readSecretFileSync,
): Interpolation {
  const issues: InterpolationIssue[] = [];
  const values: InterpolatedValue[] = [];
  // What each anchored scalar gave, so an alias to it (`*name`, always after the anchor) counts as interpolated too.
  const byNode = new Map<unknown, { issues: InterpolationIssue[]; value: InterpolatedValue }>();
  const texts = new Map<InterpolatedValue, readonly string[]>();
  visit(doc, {
    Alias(key, node, ancestors) {
      const target = byNode.get(node.resolve(doc));
      if (key === 'key' || !target) return;
      const path = keyPath(ancestors, node);
      const offset = node.range?.[0];
      issues.push(...target.issues.map((i) => ({ ...i, path, offset })));
      const copy = { ...target.value, path, offset };
      values.push(copy);
      texts.set(copy, texts.get(target.value) ?? []);
    },
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const template = node.value;
      const path = keyPath(ancestors, node);
      const offset = node.range?.[0];
      const sources: ValueSource[] = [];
      const substituted: string[] = [];
      const problem = (message: string, cause: string) => {
        issues.push({ path, offset, message, cause });
        return '';
      };
      node.value = template.replace(
        PATTERN,
        (match: string, file: string | undefined, name: string | undefined, op: string | undefined, arg: string | undefined) => {
          if (match === '$${') return '${';
          if (file !== undefined) {
            const full = resolve(baseDir, file.trim());
            sources.push({ kind: 'file', path: full });
            const secret = readSecret(full);
            if (secret.ok) substituted.push(secret.value);
            return secret.ok ? secret.value : problem(secret.problem, `file:${full}`);
          }
          const value = env[name as string];
          if (value !== undefined && value !== '') {
            sources.push({ kind: 'env', name: name as string, used: 'env' });
            substituted.push(value);
            return value;
          }
          if (op === ':-') {
            sources.push({ kind: 'env', name: name as string, used: 'default' });
            return arg ?? '';
          }
          sources.push({ kind: 'env', name: name as string, used: 'missing' });
          return problem(op === ':?' && arg ? `${name} is not set: ${arg}` : `${name} is not set; export it, or write \${${name}:-default}`, `env:${name}`);
        },
      );
      if (sources.length === 0) return;
      const value: InterpolatedValue = { path, offset, template, value: node.value as string, sources, sensitive: false };
      values.push(value);
      texts.set(value, substituted);
      byNode.set(node, { issues: issues.filter((i) => i.path === path), value });
    },
  });
  return { issues, values, secrets: markSensitive(values, texts) };
}

const sourceKey = (s: ValueSource) => (s.kind === 'file' ? `file:${s.path}` : `env:${s.name}`);

/** Sets `sensitive` on every value (see InterpolatedValue), once all are known; returns the texts to keep out of messages. */
function markSensitive(values: InterpolatedValue[], texts: ReadonlyMap<InterpolatedValue, readonly string[]>): string[] {
  const credentials = new Set(
    values.filter((v) => isSecretPath(v.path)).flatMap((v) => v.sources.filter((s) => s.kind === 'file' || s.used === 'env').map(sourceKey)),
  );
  const secrets = new Set<string>();
  for (const v of values) {
    v.sensitive = isSecretPath(v.path) || v.sources.some((s) => s.kind === 'file' || credentials.has(sourceKey(s)));
    if (v.sensitive) for (const text of texts.get(v) ?? []) secrets.add(text);
  }
  return [...secrets];
}

/** The key path of a node inside the document, e.g. ["sinks", 1, "path"]. */
function keyPath(ancestors: readonly unknown[], node: unknown): KeyPath {
  const chain = [...ancestors, node];
  const out: KeyPath = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    if (isPair(parent) && isScalar(parent.key)) out.push(String(parent.key.value));
    else if (isSeq(parent)) out.push(parent.items.indexOf(chain[i + 1] as never));
  }
  return out;
}
