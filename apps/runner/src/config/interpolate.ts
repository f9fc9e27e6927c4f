import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isPair, isScalar, isSeq, visit, type Document } from 'yaml';

export interface InterpolationIssue {
  path: Array<string | number>;
  /** 0-based offset in the file, for the line number. */
  offset: number | undefined;
  message: string;
}

const PATTERN = /\$\$\{|\$\{file:([^}]+)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g;
/** A secret file is a key or a password, not data; anything bigger is a wrong path. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * Replaces ${VAR}, ${VAR:-default} and ${VAR:?message} in string values (never in keys, and after YAML parsing,
 * so a value from the environment cannot add structure to the config). ${file:PATH} is the content of a file
 * (a mounted secret), without its final line break; a relative PATH is against `baseDir`, the config's directory.
 * $${ stands for a literal ${. Returns the problems instead of throwing, so every one is reported at once.
 */
export function interpolateDocument(doc: Document, env: NodeJS.ProcessEnv, baseDir = process.cwd()): InterpolationIssue[] {
  const issues: InterpolationIssue[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      node.value = node.value.replace(PATTERN, (match: string, file: string | undefined, name: string | undefined, op: string | undefined, arg: string | undefined) => {
        if (match === '$${') return '${';
        if (file !== undefined) {
          const problem = (message: string) => {
            issues.push({ path: keyPath(ancestors, node), offset: node.range?.[0], message });
            return '';
          };
          const path = resolve(baseDir, file.trim());
          try {
            if (statSync(path).size > MAX_SECRET_FILE_BYTES) return problem(`${path} is larger than 64 KiB, which is not a secret; check the \${file:…} path`);
            const content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
            return content === '' ? problem(`${path} is empty; put the secret in it`) : content;
          } catch (error) {
            return problem(`cannot read the secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          }
        }
        const value = env[name as string];
        if (value !== undefined && value !== '') return value;
        if (op === ':-') return arg ?? '';
        issues.push({
          path: keyPath(ancestors, node),
          offset: node.range?.[0],
          message: op === ':?' && arg ? `${name} is not set: ${arg}` : `${name} is not set; export it, or write \${${name}:-default}`,
        });
        return '';
      });
    },
  });
  return issues;
}

/** The key path of a node inside the document, e.g. ["sinks", 1, "path"]. */
function keyPath(ancestors: readonly unknown[], node: unknown): Array<string | number> {
  const chain = [...ancestors, node];
  const out: Array<string | number> = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    if (isPair(parent) && isScalar(parent.key)) out.push(String(parent.key.value));
    else if (isSeq(parent)) out.push(parent.items.indexOf(chain[i + 1] as never));
  }
  return out;
}
