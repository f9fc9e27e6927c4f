// `pnpm pack:cli`: the qcs-export command as an npm package with no dependencies, dist/qcs-export-VERSION.tgz, so
// that `npm install -g ./dist/qcs-export-VERSION.tgz` or `npx ./dist/qcs-export-VERSION.tgz` gives a working
// `qcs-export` on a machine with Node and npm only: no clone, no pnpm, no build, no network.
//
// Why not `npm pack apps/runner`: the runner's package.json names its siblings as `workspace:*`, which npm cannot
// install, and it runs from apps/runner/dist with node_modules beside it. The bundle of scripts/bundle.mjs (the file
// the Dockerfile ships) already holds every library, so the package is that one file, a package.json written here,
// the README, the licence and the config's JSON Schema.
//
// `pnpm pack:cli` runs `turbo run build` first, as `pnpm bundle` does. The last line printed is the tarball's
// absolute path, for scripts: `npm install -g "$(pnpm -s pack:cli | tail -n 1)"`.
// `--pack-destination DIR` writes the tarball elsewhere (the test does).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({ options: { 'pack-destination': { type: 'string' } } });
const destination = resolve(args['pack-destination'] ?? join(root, 'dist'));

const repo = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const runner = JSON.parse(readFileSync(join(root, 'apps/runner/package.json'), 'utf8'));
const BIN = 'qcs-export.mjs';
const SCHEMA = 'config.schema.json';

class PackError extends Error {}
/** Stops the script with one line on stderr; thrown, so the staged directory is still removed. */
function fail(message) {
  throw new PackError(message);
}

/**
 * The environment for npm: without the npm_config_* variables pnpm sets for its own scripts, which npm would read as
 * its settings and warn about the ones it does not know.
 */
function npmEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

const stage = mkdtempSync(join(tmpdir(), 'qcs-pack-'));
try {
  // The same bundle as `pnpm bundle`, written straight into the package.
  const bundled = spawnSync(process.execPath, [join(root, 'scripts/bundle.mjs'), '--outfile', join(stage, BIN)], { cwd: root, encoding: 'utf8' });
  if (bundled.status !== 0) fail(`scripts/bundle.mjs exited ${bundled.status}:\n${bundled.stderr}${bundled.stdout}`);

  // npm links `bin` as it is, so the file must start the interpreter itself; bundle.mjs already checks this, and a
  // change there must not ship a package whose command the shell cannot run.
  const text = readFileSync(join(stage, BIN), 'utf8');
  if (!text.startsWith('#!/usr/bin/env node\n')) writeFileSync(join(stage, BIN), `#!/usr/bin/env node\n${text}`);
  chmodSync(join(stage, BIN), 0o755);

  copyFileSync(join(root, 'README.md'), join(stage, 'README.md'));
  copyFileSync(join(root, 'LICENSE'), join(stage, 'LICENSE'));
  // The schema the example configs point their editor at (`qcs-export schema` prints the same).
  copyFileSync(join(root, 'examples', SCHEMA), join(stage, SCHEMA));

  const manifest = {
    name: 'qcs-export',
    version: runner.version,
    description: repo.description,
    keywords: ['qualys', 'container-security', 'cli', 'export', 'jsonl', 'csv', 'excel', 'elasticsearch', 'siem'],
    license: repo.license,
    bin: { 'qcs-export': BIN },
    // README, LICENSE and package.json are always packed; the rest must be named.
    files: [BIN, SCHEMA],
    // The bundle is ESM by its .mjs extension, so no "type" is needed; it targets the Node the repository supports.
    engines: { node: repo.engines.node },
    // No dependencies: every library is inside the bundle, so an install reads nothing from a registry.
  };
  if (!manifest.version || !manifest.license || !manifest.engines.node) fail('version, license or engines.node is missing from the package.json files');
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  mkdirSync(destination, { recursive: true });
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: stage,
    encoding: 'utf8',
    env: npmEnv(),
    shell: process.platform === 'win32',
  });
  if (packed.error) fail(`could not run npm: ${packed.error.message}`);
  if (packed.status !== 0) fail(`npm pack exited ${packed.status}:\n${packed.stderr}${packed.stdout}`);
  const [result] = JSON.parse(packed.stdout);
  const tarball = join(destination, result.filename);
  const size = statSync(tarball).size;
  const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  const shown = relative(root, tarball).startsWith('..') ? tarball : `./${relative(root, tarball)}`;
  console.log(
    `${shown}: ${mib(size)} (${size} bytes; ${mib(result.unpackedSize)} unpacked), ${result.files.length} files: ` +
      `${result.files.map((f) => f.path).join(', ')}`,
  );
  console.log(`${manifest.name} ${manifest.version}, no dependencies, node ${manifest.engines.node}; install with: npm install -g ${shown}`);
  console.log(tarball);
} catch (error) {
  if (!(error instanceof PackError)) throw error;
  console.error(`pack:cli: ${error.message}`);
  process.exitCode = 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}
