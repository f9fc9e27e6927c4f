import { describe, expect, it } from 'vitest';
import { get, login, useSimulator } from './support.js';

const start = useSimulator();

describe('auth', () => {
  it('issues a JWT for the right form-encoded credentials, even with & = + % in the password', async () => {
    const s = await start({ credentials: { username: 'u', password: 'a&b=c+d %e' } });
    const res = await login(s);
    expect(res.status).toBe(201);
    const jwt = await res.text();
    expect(jwt.split('.')).toHaveLength(3);
    expect((await get(s, '/csapi/v1.3/images', {}, jwt)).status).toBe(200);
    expect((await login(s, 'wrong')).status).toBe(401);
  });

  it('refuses an expired JWT with "JWT expired", and accepts Basic and the static token', async () => {
    const s = await start();
    const jwt = await (await login(s)).text();
    s.inject({ kind: 'expireTokens' });
    const expired = await get(s, '/csapi/v1.3/images', {}, jwt);
    expect(expired.status).toBe(401);
    expect(expired.body?.message).toBe('JWT expired');
    const basic = await fetch(`${s.url}/csapi/v1.3/images`, {
      headers: { authorization: `Basic ${Buffer.from(`${s.credentials.username}:${s.credentials.password}`).toString('base64')}` },
    });
    expect(basic.status).toBe(200);
    expect((await get(s, '/csapi/v1.3/images')).status).toBe(200);
    expect((await fetch(`${s.url}/csapi/v1.3/images`)).status).toBe(401);
  });

  it('counts logins and refuses a GET on /auth', async () => {
    const s = await start();
    await login(s);
    await login(s, 'wrong');
    expect(s.stats.logins).toBe(1);
    expect((await fetch(`${s.url}/auth`)).status).toBe(405);
  });
});
