import type { Client } from '@elastic/elasticsearch';
import { SinkError } from '@qcs-export/core/sink';
import { explain } from './connection.js';
import { TEMPLATE_PRIORITY } from './mapping.js';
import { concreteIndexOf, type ElasticsearchSinkOptions } from './options.js';

/** An index template as far as precedence goes: Elasticsearch applies the matching one of highest priority. */
export interface TemplateRank {
  name: string;
  priority: number;
  patterns: string[];
}

/** An index pattern matched as Elasticsearch matches them (Regex.simpleMatch: `*` is the only wildcard). */
export function patternMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!name.startsWith(first) || !name.endsWith(last) || name.length < first.length + last.length) return false;
  let at = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = name.indexOf(middle, at);
    if (found < 0 || found + middle.length > name.length - last.length) return false;
    at = found + middle.length;
  }
  return true;
}

/** Every composable index template on the cluster (GET _index_template). */
export async function listTemplates(client: Client, options: ElasticsearchSinkOptions): Promise<TemplateRank[]> {
  try {
    const { index_templates: templates } = await client.indices.getIndexTemplate();
    return templates.map(({ name, index_template: t }) => ({
      name,
      priority: t.priority ?? 0,
      patterns: Array.isArray(t.index_patterns) ? t.index_patterns : [t.index_patterns],
    }));
  } catch (error) {
    throw explain(error, options, 'listing the index templates');
  }
}

/** The template Elasticsearch would apply to a new index (or data stream) of this name, if any matches. */
export function winnerFor(templates: readonly TemplateRank[], index: string): TemplateRank | undefined {
  let best: TemplateRank | undefined;
  for (const t of templates) if (t.patterns.some((p) => patternMatches(p, index)) && (!best || t.priority > best.priority)) best = t;
  return best;
}

/**
 * Why our template would not be the one applied to `index`, as an error that names the template that would be
 * and says what to do; undefined when ours applies. `templates` holds ours as it is (or, for validate, as open
 * will install it).
 */
export function notOurs(templates: readonly TemplateRank[], options: ElasticsearchSinkOptions, oursName: string): SinkError | undefined {
  // The template applies to the index created, which for kibana: true is the versioned index behind the alias.
  const index = concreteIndexOf(options);
  const winner = winnerFor(templates, index);
  if (winner?.name === oursName) return undefined;
  const ours = templates.find((t) => t.name === oursName);
  const oursText = ours
    ? `${oursName} (priority ${ours.priority}` +
      `${ours.patterns.some((p) => patternMatches(p, index)) ? '' : `, index_patterns ${JSON.stringify(ours.patterns)}, which do not match it`})`
    : oursName;
  if (!winner)
    return new SinkError(
      `no index template matches ${index}: ${oursText}; add ${index} to its index_patterns, or set templateName to a template that matches it`,
    );
  const remedy = options.manageTemplate
    ? `change the index_patterns of "${winner.name}" so they do not match ${index}, lower its priority below ${ours?.priority ?? TEMPLATE_PRIORITY}, ` +
      "or delete it; or export to an index it does not match; or install a copy of the export's template " +
      `(GET _index_template/${oursName}) with a priority above ${winner.priority} and set templateName to it with manageTemplate: false`
    : `raise the priority of ${oursName} above ${winner.priority}, ` +
      `or change the index_patterns of "${winner.name}" so they do not match ${index}, or delete it`;
  return new SinkError(
    `index template "${winner.name}" (priority ${winner.priority}, index_patterns ${JSON.stringify(winner.patterns)}) ` +
      `is the one Elasticsearch applies to ${index}, not ${oursText}, ` +
      `so ${index} would be mapped by it and not as the export needs (sha a keyword, dates as dates); ${remedy}`,
  );
}
