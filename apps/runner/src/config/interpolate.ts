import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isPair, isScalar, isSeq, visit, type Document } from 'yaml';
import type { KeyPath } from './paths.js';

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
}

export interface Interpolation {
  issues: InterpolationIssue[];
  values: InterpolatedValue[];
}

const PATTERN = /\$\$\{|\$\{file:([^}]+)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g;
/** A secret file is a key or a password, not data; anything bigger is a wrong path. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * Replaces ${VAR}, ${VAR:-default} and ${VAR:?message} in string values (never in keys, and after YAML parsing,
 * so a value from the environment cannot add structure to the config). ${file:PATH} is the content of a file
 * (a mounted secret), without its final line break; a relative PATH is against `baseDir`, the config's directory.
 * $${ stands for a literal ${. Returns the problems instead of throwing, so every one is reported at once, and
 * which values were interpolated, since only those may be converted to the type the schema expects.
 */
export function interpolateDocument(doc: Document, env: NodeJS.ProcessEnv, baseDir = process.cwd()): Interpolation {
  const issues: InterpolationIssue[] = [];
  const values: InterpolatedValue[] = [];
  // What each anchored scalar gave, so an alias to it (`*name`, always after the anchor) counts as interpolated too.
  const byNode = new Map<unknown, { issues: InterpolationIssue[]; value: InterpolatedValue }>();
  visit(doc, {
    Alias(key, node, ancestors) {
      const target = byNode.get(node.resolve(doc));
      if (key === 'key' || !target) return;
      const path = keyPath(ancestors, node);
      const offset = node.range?.[0];
      issues.push(...target.issues.map((i) => ({ ...i, path, offset })));
      values.push({ ...target.value, path, offset });
    },
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const template = node.value;
      const path = keyPath(ancestors, node);
      const offset = node.range?.[0];
      const sources: ValueSource[] = [];
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
            return readSecretFile(full, (message) => problem(message, `file:${full}`));
          }
          const value = env[name as string];
          if (value !== undefined && value !== '') {
            sources.push({ kind: 'env', name: name as string, used: 'env' });
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
      const value: InterpolatedValue = { path, offset, template, value: node.value as string, sources };
      values.push(value);
      byNode.set(node, { issues: issues.filter((i) => i.path === path), value });
    },
  });
  return { issues, values };
}

function readSecretFile(path: string, problem: (message: string) => string): string {
  try {
    if (statSync(path).size > MAX_SECRET_FILE_BYTES) return problem(`${path} is larger than 64 KiB, which is not a secret; check the \${file:…} path`);
    const content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    return content === '' ? problem(`${path} is empty; put the secret in it`) : content;
  } catch (error) {
    return problem(`cannot read the secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
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
