import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleLogger, QualysClient, Redactor, type Logger, type QualysAuth } from '../src/index.js';

/*
 * A server that echoes the credentials it received, placed so that each one straddles the point where the client
 * cuts the quote: 300 (server message), 100 (non-JSON body), 40 (non-JWT login answer), and 160 (the retry log
 * line). Cutting before redacting leaves the secret's first characters, which no whole-secret match can find.
 * Two views of the output: "raw", a logger that prints unredacted and no `redact` option, so only the client's own
 * redaction is at work; and "cli", what the CLI prints today: its Redactor, holding the password or token, applied
 * by the logger and to the error message, after the client has cut them (it passes the client no `redact`).
 */
type View = 'raw' | 'cli';

const PASSWORD = 'Zq"7\\ k&=+%x9;Lm/Qw';
const TOKEN = 'Tk9v-4fXwZ.c2VjcmV0+/A=';
const USERNAME = 'u@corp';
const BASIC = Buffer.from(`${USERNAME}:${PASSWORD}`, 'utf8').toString('base64');
const uri = (s: string) => encodeURIComponent(s);
const jsonEscaped = (s: string) => JSON.stringify(s).slice(1, -1);

/** Where the client cuts a quote of this scenario's server text, before its own prefix (the log line adds one). */
type Cut = 300 | 100 | 40;

interface Scenario {
  name: string;
  auth: QualysAuth['kind'];
  /** Which endpoint fails and echoes: the API call, or the login. */
  failing: 'api' | 'auth';
  status: number;
  format: 'json' | 'text';
  cut: Cut;
  /** A retryable failure is also logged, cut at 160 with the message's own prefix before the server text. */
  logged: boolean;
}

const scenarios: Scenario[] = [
  { name: 'token, 400 JSON message', auth: 'token', failing: 'api', status: 400, format: 'json', cut: 300, logged: false },
  { name: 'token, 401 text body', auth: 'token', failing: 'api', status: 401, format: 'text', cut: 300, logged: false },
  { name: 'token, 500 JSON message', auth: 'token', failing: 'api', status: 500, format: 'json', cut: 300, logged: true },
  { name: 'token, 200 that is not JSON', auth: 'token', failing: 'api', status: 200, format: 'text', cut: 100, logged: true },
  { name: 'basic, 400 text body', auth: 'basic', failing: 'api', status: 400, format: 'text', cut: 300, logged: false },
  { name: 'basic, 401 JSON message', auth: 'basic', failing: 'api', status: 401, format: 'json', cut: 300, logged: false },
  { name: 'basic, 500 text body', auth: 'basic', failing: 'api', status: 500, format: 'text', cut: 300, logged: true },
  { name: 'basic, 200 that is not JSON', auth: 'basic', failing: 'api', status: 200, format: 'text', cut: 100, logged: true },
  { name: 'jwt, API 401 JSON message (fresh tokens refused)', auth: 'jwt', failing: 'api', status: 401, format: 'json', cut: 300, logged: false },
  { name: 'jwt, API 500 text body', auth: 'jwt', failing: 'api', status: 500, format: 'text', cut: 300, logged: true },
  { name: 'jwt, login 401 JSON message', auth: 'jwt', failing: 'auth', status: 401, format: 'json', cut: 300, logged: false },
  { name: 'jwt, login 400 text body', auth: 'jwt', failing: 'auth', status: 400, format: 'text', cut: 300, logged: false },
  { name: 'jwt, login 500 JSON message', auth: 'jwt', failing: 'auth', status: 500, format: 'json', cut: 300, logged: true },
  { name: 'jwt, login 201 that is not a JWT', auth: 'jwt', failing: 'auth', status: 201, format: 'text', cut: 40, logged: false },
];

/** The secrets in the forms this request carried them, each echoed on its own so each straddles the cut. */
function echoedForms(auth: QualysAuth['kind'], req: Seen): string[] {
  const authorization = req.headers.authorization ?? '';
  const credential = authorization.replace(/^\w+ /, '');
  if (auth === 'token') return [authorization, credential, uri(TOKEN), jsonEscaped(TOKEN)];
  if (auth === 'basic') return [authorization, credential, Buffer.from(BASIC, 'base64').toString('base64url'), PASSWORD, uri(PASSWORD), jsonEscaped(PASSWORD)];
  // JWT: the login carries the password in a form body, API calls carry the JWT it returned.
  return req.url === '/auth' ? [req.body, PASSWORD, uri(PASSWORD), jsonEscaped(PASSWORD)] : [authorization, credential, PASSWORD, jsonEscaped(PASSWORD)];
}

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the next failing answer echoes: one form of the secrets, after `pad` filler characters. */
interface Echo {
  form: number;
  pad: number;
}

let server: Server;
let baseUrl = '';
let scenario: Scenario = scenarios[0] as Scenario;
let echo: Echo | 'probe' = 'probe';
let lastForms: string[] = [];
const issuedJwts: string[] = [];

function issueJwt(): string {
  const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  // A fixed-width serial keeps every token the same length, so one sweep over split positions fits them all.
  const token = `${b({ alg: 'none' })}.${b({ exp: Math.floor(Date.now() / 1000) + 3600, n: 100_000 + issuedJwts.length })}.sig`;
  issuedJwts.push(token);
  return token;
}

function answer(req: Seen, res: ServerResponse): void {
  const echoing = (scenario.failing === 'auth') === (req.url === '/auth');
  if (!echoing) {
    // The login that precedes a failing API call succeeds.
    res.writeHead(201, { 'content-type': 'text/plain' });
    res.end(issueJwt());
    return;
  }
  lastForms = echoedForms(scenario.auth, req);
  const said = echo === 'probe' ? 'PROBE end' : `${'-'.repeat(echo.pad)}${lastForms[echo.form] ?? ''} end`;
  if (scenario.format === 'json') {
    res.writeHead(scenario.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: said }));
  } else {
    res.writeHead(scenario.status, { 'content-type': 'text/plain' });
    res.end(said);
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => answer({ url: req.url ?? '', headers: req.headers, body }, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function authOf(kind: QualysAuth['kind']): QualysAuth {
  if (kind === 'token') return { kind, token: TOKEN };
  return { kind, username: USERNAME, password: PASSWORD };
}

/** The longest prefix of `secret`, at least `min` characters, found in `text`; '' when none is. */
function leakedPrefix(text: string, secret: string, min = 4): string {
  if (secret.length < min || !text.includes(secret.slice(0, min))) return '';
  let n = min;
  while (n < secret.length && text.includes(secret.slice(0, n + 1))) n++;
  return secret.slice(0, n);
}

/** One call that must fail; returns its error message and stack and every line logged meanwhile, unredacted. */
async function failingCall(view: View): Promise<{ message: string; printed: string[]; jwts: string[] }> {
  const printed: string[] = [];
  const jwtsBefore = issuedJwts.length;
  const { logger, show } = view === 'raw' ? rawOutput(printed) : cliOutput(printed);
  const client = new QualysClient({ baseUrl, auth: authOf(scenario.auth), env: {}, logger, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
  try {
    const error = await client.get('/x').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error, 'the call must fail').toBeInstanceOf(Error);
    printed.push(show(String(error?.message)), show(String(error?.stack)));
    return { message: String(error?.message), printed, jwts: issuedJwts.slice(jwtsBefore) };
  } finally {
    await client.close();
  }
}

/** Log lines kept as the client wrote them. */
function rawOutput(printed: string[]): { logger: Logger; show: (text: string) => string } {
  const raw = (m: string, f?: Record<string, unknown>) => printed.push(f ? `${m} ${JSON.stringify(f)}` : m);
  return { logger: { debug: raw, info: raw, warn: raw, error: raw }, show: (text) => text };
}

/** The CLI's arrangement (apps/runner): one Redactor given the source's secret, used by the logger and on errors. */
function cliOutput(printed: string[]): { logger: Logger; show: (text: string) => string } {
  const redactor = new Redactor();
  if (scenario.auth === 'token') redactor.add(TOKEN);
  else redactor.add(PASSWORD);
  const stream = new Writable({
    write: (chunk, _enc, done) => {
      printed.push(String(chunk));
      done();
    },
  });
  return { logger: createConsoleLogger({ level: 'debug', stream, redactor }), show: (text) => redactor.redact(text) };
}

describe('a server echoing the credentials where the client cuts its quote', () => {
  const cases = scenarios.flatMap((s) => (['raw', 'cli'] as const).map((view) => ({ ...s, view })));
  it.each(cases)('$name, $view output: no prefix of 4+ characters of any credential is thrown or logged', async ({ view, ...s }) => {
    scenario = s;
    // Locate the server text inside the message: the log line cuts the whole message at 160, prefix included.
    echo = 'probe';
    const probe = await failingCall(view);
    const at = probe.message.indexOf('PROBE');
    expect(at, 'the message quotes the server').toBeGreaterThan(0);
    const cuts = [s.cut, ...(s.logged ? [160 - at] : [])].filter((c) => c > 0);
    const forms = lastForms.length;
    expect(forms).toBeGreaterThan(0);

    // Every credential of every kind (one absent from this scenario cannot leak anyway), and the JWTs of the call.
    const secrets = [PASSWORD, uri(PASSWORD), jsonEscaped(PASSWORD), TOKEN, uri(TOKEN), jsonEscaped(TOKEN), BASIC];
    let redactedSomewhere = false;
    for (const cut of cuts) {
      for (let form = 0; form < forms; form++) {
        const length = (lastForms[form] ?? '').length;
        // Every split position, from one character of the form before the cut to all of it.
        for (let inside = 1; inside <= length + 1; inside++) {
          echo = { form, pad: Math.max(0, cut - inside) };
          const { printed, jwts } = await failingCall(view);
          const out = printed.join('\n');
          redactedSomewhere ||= out.includes('***');
          for (const secret of [...secrets, ...jwts]) {
            expect(leakedPrefix(out, secret), `${s.name}, ${view}; cut ${cut}, form ${form}, ${inside} chars inside:\n${out}`).toBe('');
          }
        }
      }
    }
    expect(redactedSomewhere, 'the sweep reached the secrets').toBe(true);
  });
});
