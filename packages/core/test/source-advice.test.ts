import { describe, expect, it } from 'vitest';
import { imageSource, type QualysGetter } from '../src/index.js';

/** A server that answers every /images query with one image and no `count`, so no export can be proved complete. */
const noCount: QualysGetter = {
  get: async () => ({ status: 200, headers: {}, body: { data: [{ sha: 'a'.repeat(64), updated: '1700000000000' }] } as never }),
};

async function failure(options: Partial<Parameters<typeof imageSource>[0]> = {}): Promise<string> {
  try {
    for await (const _ of imageSource({ client: noCount, strategy: 'pages', ...options })) void _;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the export did not fail');
}

describe("the source's advice is in the caller's terms (issue 10, point 5)", () => {
  it("core's own words by default: no CLI setting or command is named", async () => {
    const message = await failure();
    expect(message).toContain('Run the server diagnosis (diagnoseServer) and report its output.');
    expect(message).not.toMatch(/source\.strategy|qcs-export/);
  });

  it("the caller's words when it gives them", async () => {
    const message = await failure({ advice: { useStrategy: (s) => `--strategy ${s}`, diagnosis: 'my-tool check' } });
    expect(message).toContain('Run my-tool check and report its output.');
  });
});
