/**
 * True when the process was started with NODE_TLS_REJECT_UNAUTHORIZED=0, which makes Node accept any certificate on
 * every TLS connection (Node reads exactly "0"). The client warns about it and the run's audit record says so.
 */
export function tlsVerificationDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['NODE_TLS_REJECT_UNAUTHORIZED'] === '0';
}
