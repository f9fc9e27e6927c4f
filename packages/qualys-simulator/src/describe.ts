import type { QualysSimulator } from './server.js';

/** What `qcs-export simulate` prints so a user can point a config (or curl) at the running simulator. */
export function describeSimulator(sim: QualysSimulator): string {
  return [
    `Qualys CS simulator listening on ${sim.url}`,
    `  images:     ${sim.images().length}`,
    `  containers: ${sim.containers().length}`,
    `  login:      POST ${sim.url}/auth  (username ${sim.credentials.username}, password ${sim.credentials.password})`,
    `  token:      ${sim.staticToken}  (a ready bearer token)`,
    `  try:        source: { baseUrl: ${sim.url}, auth: { username: ${sim.credentials.username}, password: ${sim.credentials.password} } }`,
  ].join('\n');
}
