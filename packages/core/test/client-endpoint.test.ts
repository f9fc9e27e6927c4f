import { describe, expect, it } from 'vitest';
import { endpointOf } from '../src/client/client.js';

describe('endpointOf: the keys of requests per endpoint stay few', () => {
  it('writes an image sha, with or without its encoded sha256: prefix, as {sha}, and keeps every other path as it is', () => {
    const sha = 'ab'.repeat(32);
    expect(endpointOf('GET', `/csapi/v1.3/images/${sha}`)).toBe('GET /csapi/v1.3/images/{sha}');
    expect(endpointOf('GET', `/csapi/v1.3/images/${sha}/vuln`)).toBe('GET /csapi/v1.3/images/{sha}/vuln');
    expect(endpointOf('GET', `/csapi/v1.3/images/sha256%3A${sha}`)).toBe('GET /csapi/v1.3/images/{sha}');
    expect(endpointOf('GET', '/csapi/v1.3/images/list')).toBe('GET /csapi/v1.3/images/list');
    expect(endpointOf('GET', '/csapi/v1.3/images')).toBe('GET /csapi/v1.3/images');
    expect(endpointOf('POST', '/auth')).toBe('POST /auth');
  });
});
