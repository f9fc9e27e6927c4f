import { expect } from 'vitest';
import { ConfigError } from '@qcs-export/core';
import { parseConfig, sinkPlugins } from '../src/index.js';

/** Parses a config text as the CLI would, with the given environment. */
export const parse = (text: string, env: NodeJS.ProcessEnv = {}, file = 'cfg.yaml') => parseConfig(text, file, sinkPlugins, env);

/** The message of the ConfigError the text must cause. */
export function problems(text: string, env: NodeJS.ProcessEnv = {}, file = 'cfg.yaml'): string {
  try {
    parse(text, env, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}
