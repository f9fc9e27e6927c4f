/**
 * How the source's error messages tell a user what to do, in the caller's terms: core knows its options
 * (`strategy`) and that a diagnosis exists, the CLI knows they are `source.strategy` and `qcs-export doctor`.
 */
export interface SourceAdvice {
  /** How to say "choose this strategy", e.g. `source.strategy: bulk`. */
  useStrategy(strategies: string): string;
  /** What runs the read-only diagnosis of a server, e.g. `qcs-export doctor`. */
  diagnosis: string;
}

/** Core's own words, for callers that give none. */
export const DEFAULT_ADVICE: SourceAdvice = {
  useStrategy: (strategies) => `strategy: ${strategies}`,
  diagnosis: 'the server diagnosis (diagnoseServer)',
};

/**
 * The other strategy a message sends the user to when the one that failed cannot be trusted on this server: the bulk
 * cursor where the resource has one, otherwise page numbers over a filter narrow enough for them.
 */
export function otherWay(advice: SourceAdvice, resource: { noun: string; bulk?: unknown }): string {
  return resource.bulk !== undefined ? advice.useStrategy('bulk') : `${advice.useStrategy('pages')} with a filter that matches fewer ${resource.noun}`;
}
