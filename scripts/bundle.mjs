// `pnpm bundle`: the qcs-export command as one file, dist/qcs-export.mjs, that plain `node` (>= 20.19) runs with no
// node_modules: every sink's library, the Qualys client and the embedded simulator are inlined. It bundles the
// build (apps/runner/dist), so `pnpm bundle` runs `turbo run build` first. The Dockerfile ships this one file.
// `node scripts/bundle.mjs --outfile PATH` writes elsewhere (the bundle test does).
//
// What differs from the normal build, and only here:
// - apps/runner/dist/version.js reads ../package.json next to itself at run time; the bundle has no such file, so
//   the plugin below replaces that module with the version as a constant.
// - CommonJS dependencies (undici, exceljs and its zip libraries) `require()` Node's builtins; an ESM file has no
//   `require`, so the banner makes one with createRequire.
// - Node prints the `new Buffer()` deprecation warning (DEP0005) only for calls from outside node_modules. Old zip
//   libraries under exceljs make such calls; installed, they are inside node_modules and Node stays quiet, but in one
//   file nothing is, so every Excel run would print the warning on stderr (a mail from cron). The banner drops that
//   one warning, as an installed build does; every other warning is printed as usual.
// - The lazy `import()`s of the sinks and the simulator are inlined (no code splitting): still evaluated only when
//   a run opens that sink, but from the one file.
// - No source map and no legal comments, so no path of the build machine ends up in the file (checked below).
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'apps/runner/dist/cli.js');
const { values: args } = parseArgs({ options: { outfile: { type: 'string' } } });
const outfile = resolve(args.outfile ?? join(root, 'dist/qcs-export.mjs'));
const runnerPackage = join(root, 'apps/runner/package.json');
const versionModule = join(root, 'apps/runner/dist/version.js');

try {
  statSync(entry);
} catch {
  console.error(`bundle: ${relative(root, entry)} is missing; run \`pnpm build\` first (\`pnpm bundle\` does)`);
  process.exit(1);
}

const { version } = JSON.parse(readFileSync(runnerPackage, 'utf8'));

/** Inlines the runner's version, which the normal build reads from its package.json at run time. */
let versionInlined = false;
const inlineVersion = {
  name: 'qcs-inline-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]apps[\\/]runner[\\/]dist[\\/]version\.js$/ }, (loaded) => {
      if (loaded.path !== versionModule) return undefined;
      versionInlined = true;
      return { contents: `export const toolVersion = ${JSON.stringify(version)};\n`, loader: 'js', resolveDir: dirname(loaded.path) };
    });
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile,
  bundle: true,
  splitting: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The entry's own `#!/usr/bin/env node` line is kept first; the banner follows it.
  banner: {
    js: [
      "import { createRequire as __qcsCreateRequire } from 'node:module';",
      'const require = __qcsCreateRequire(import.meta.url);',
      'const __qcsEmitWarning = process.emitWarning;',
      'process.emitWarning = function (warning, ...rest) {',
      "  const code = rest[0] !== null && typeof rest[0] === 'object' ? rest[0].code : rest[1];",
      "  if (code === 'DEP0005') return;",
      '  return __qcsEmitWarning.call(process, warning, ...rest);',
      '};',
    ].join('\n'),
  },
  legalComments: 'none',
  sourcemap: false,
  minify: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [inlineVersion],
});

const text = readFileSync(outfile, 'utf8');
const problems = [];
if (!text.startsWith('#!/usr/bin/env node\n')) problems.push('the first line is not `#!/usr/bin/env node`');
// The repository's absolute path must not leak into a file that ships (esbuild's module comments are relative).
const repo = root.replace(/[\\/]$/, '');
if (text.includes(repo)) problems.push(`the bundle contains the build machine's path ${repo}`);
if (!versionInlined) problems.push(`${relative(root, versionModule)} was not replaced by the version constant`);
if (problems.length > 0) {
  console.error(`bundle: ${problems.join('; ')}`);
  process.exit(1);
}

chmodSync(outfile, 0o755);
const bytes = statSync(outfile).size;
const modules = Object.keys(result.metafile.inputs).length;
const shown = relative(root, outfile).startsWith('..') ? outfile : relative(root, outfile);
console.log(`${shown}: ${(bytes / 1024 / 1024).toFixed(2)} MiB (${bytes} bytes, ${modules} modules, qcs-export ${version})`);
