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
