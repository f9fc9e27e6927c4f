import { isPair, isScalar, isSeq, visit, type Document } from 'yaml';

export interface InterpolationIssue {
  path: Array<string | number>;
  /** 0-based offset in the file, for the line number. */
  offset: number | undefined;
  message: string;
}

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g;

/**
 * Replaces ${VAR}, ${VAR:-default} and ${VAR:?message} in string values (never in keys, and after YAML parsing,
 * so a value from the environment cannot add structure to the config). $${ stands for a literal ${.
 * Returns the problems instead of throwing, so every missing variable is reported at once.
 */
export function interpolateDocument(doc: Document, env: NodeJS.ProcessEnv): InterpolationIssue[] {
  const issues: InterpolationIssue[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      node.value = node.value.replace(PATTERN, (match: string, name: string | undefined, op: string | undefined, arg: string | undefined) => {
        if (match === '$${') return '${';
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
