import { describe, expect, it } from 'vitest';
import { createConsoleLogger, Redactor } from '../src/index.js';

function sink(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, stream: { isTTY, write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream };
}

const at = Date.parse('2026-11-29T18:00:00.000Z');

describe('console logger formats', () => {
  it('starts text lines with an ISO time when the stream is not a terminal (cron mail, CI logs)', () => {
    const { lines, stream } = sink(false);
    createConsoleLogger({ stream, now: () => at }).warn('slow', { ms: 5 });
    expect(lines).toEqual(['2026-11-29T18:00:00.000Z warn: slow {"ms":5}\n']);
  });

  it('leaves the time out on a terminal, where a person sees it pass', () => {
    const { lines, stream } = sink(true);
    createConsoleLogger({ stream, now: () => at }).info('hello');
    expect(lines).toEqual(['info: hello\n']);
  });

  it('json: one object per line with the ECS names, fields merged, a secret redacted inside the JSON', () => {
    const { lines, stream } = sink(true);
    const redactor = new Redactor();
    redactor.add('pa"ss/word');
    createConsoleLogger({ stream, now: () => at, format: 'json', redactor, level: 'debug' }).debug('login with pa"ss/word', {
      path: '/auth',
      echoed: 'pa"ss/word',
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      '@timestamp': '2026-11-29T18:00:00.000Z',
      'log.level': 'debug',
      message: 'login with ***',
      path: '/auth',
      echoed: '***',
    });
  });
});
