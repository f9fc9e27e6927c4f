import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configJsonSchema } from '../src/config/json-schema.js';
import { parseConfig } from '../src/config/load.js';
import { manifestPathOf } from '../src/audit/manifest.js';
import { outputsOf } from '../src/outputs.js';
import { sinkPlugins } from '../src/registry.js';
import { runContextFor } from '../src/run/run-context.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const configs = [
  ...readdirSync(examples)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(examples, f)),
  join(examples, 'elasticsearch', 'siem-demo.yaml'),
];

describe('the example configs carry an editor schema that is up to date', () => {
  it('examples/config.schema.json is what `qcs-export schema` prints today (regenerate it with that command)', () => {
    const committed = JSON.parse(readFileSync(join(examples, 'config.schema.json'), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema(sinkPlugins))));
  });

  it.each(configs)('%s starts with the yaml-language-server line pointing at it', (file) => {
    const first = readFileSync(file, 'utf8').split('\n')[0];
    expect(first).toMatch(/^# yaml-language-server: \$schema=(\.\/|\.\.\/)config\.schema\.json$/);
  });
});

// examples/kubernetes/: the CronJob and what it mounts. Kubernetes is not run here, nor Docker (no container engine
// where this is developed and tested): these check, structurally, what a reader of the manifests and the Dockerfile
// relies on, and that the config in the ConfigMap is one the tool accepts.
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}
interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface Container {
  name: string;
  args: string[];
  workingDir?: string;
  env?: Array<{ name: string; value?: string }>;
  resources: { limits?: { memory?: string } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts: Mount[];
}
interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
}
interface PodSpec {
  restartPolicy: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number };
  containers: Container[];
  volumes: Volume[];
}
interface CronJob extends Manifest {
  spec: {
    concurrencyPolicy?: string;
    startingDeadlineSeconds?: number;
    jobTemplate: { spec: { backoffLimit?: number; activeDeadlineSeconds?: number; template: { spec: PodSpec } } };
  };
}
interface ConfigMap extends Manifest {
  data: Record<string, string>;
}
interface Secret extends Manifest {
  stringData?: Record<string, string>;
  data?: Record<string, string>;
}

function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    return doc.toJS() as Manifest;
  });
}
const kubernetes = join(examples, 'kubernetes');
// What `kubectl apply -f examples/kubernetes/` applies: the directory's own .yaml, .yml and .json files, not its
// subdirectories.
const appliedFiles = readdirSync(kubernetes, { withFileTypes: true })
  .filter((e) => e.isFile() && ['.yaml', '.yml', '.json'].includes(extname(e.name)))
  .map((e) => e.name);
const manifests: Manifest[] = appliedFiles.flatMap((f) => readManifests(join(kubernetes, f)));
/** The shape of the Secret to create, kept where `kubectl apply -f examples/kubernetes/` does not read it. */
const exampleSecret = (() => {
  const found = readManifests(join(kubernetes, 'secret-example', 'secret.yaml'));
  if (found.length !== 1) throw new Error(`secret-example/secret.yaml: ${found.length} documents, not one`);
  return found[0] as Secret;
})();
function only<T extends Manifest>(kind: string): T {
  const found = manifests.filter((m) => m.kind === kind);
  expect(
    found.map((m) => m.metadata.name),
    `one ${kind} in examples/kubernetes`,
  ).toHaveLength(1);
  return found[0] as T;
}
const dockerfile = readFileSync(join(examples, '..', 'Dockerfile'), 'utf8');
const MiB = (quantity: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`memory ${quantity}: write it in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

describe('examples/kubernetes: a CronJob running the Docker image', () => {
  const cronJob = only<CronJob>('CronJob');
  const pod = cronJob.spec.jobTemplate.spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'qcs-export') as Container;
  const mountAt = (path: string) => {
    const mount = container.volumeMounts.find((m) => m.mountPath === path);
    expect(mount, `a volume mounted at ${path}`).toBeDefined();
    const volume = pod.volumes.find((v) => v.name === mount?.name);
    expect(volume, `the volume ${mount?.name}`).toBeDefined();
    return { mount: mount as Mount, volume: volume as Volume };
  };

  it('every manifest parses, and the CronJob, ConfigMap and PersistentVolumeClaim are there', () => {
    expect(manifests.every((m) => typeof m.apiVersion === 'string' && typeof m.kind === 'string' && typeof m.metadata?.name === 'string')).toBe(true);
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'CronJob', 'PersistentVolumeClaim']);
    expect(container).toBeDefined();
  });

  it('`kubectl apply -f examples/kubernetes/` applies no Secret, so it never overwrites the one made with `kubectl create secret`', () => {
    expect(appliedFiles.length).toBeGreaterThan(0);
    for (const file of appliedFiles) {
      expect(
        readManifests(join(kubernetes, file)).map((m) => m.kind),
        file,
      ).not.toContain('Secret');
    }
    // The example Secret is the one the CronJob mounts, and the README's `kubectl create secret` makes it with its keys.
    expect(exampleSecret.kind).toBe('Secret');
    expect(pod.volumes.map((v) => v.secret?.secretName)).toContain(exampleSecret.metadata.name);
    const readme = readFileSync(join(kubernetes, 'README.md'), 'utf8');
    const create = new RegExp(`^kubectl create secret generic ${exampleSecret.metadata.name} (.+)$`, 'm').exec(readme)?.[1];
    expect(create, 'a `kubectl create secret generic` line in examples/kubernetes/README.md').toBeDefined();
    const keys = [...(create ?? '').matchAll(/--from-(?:literal|file)=([\w-]+)=/g)].map((m) => m[1]);
    expect(keys.sort()).toEqual(Object.keys({ ...exampleSecret.stringData, ...exampleSecret.data }).sort());
    expect(readme).toMatch(/^kubectl apply -f examples\/kubernetes\/ /m);
  });

  it('never runs twice at once, and every run has a start deadline, a run deadline and a retry limit', () => {
    expect(cronJob.apiVersion).toBe('batch/v1');
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(cronJob.spec.startingDeadlineSeconds).toBeGreaterThan(0);
    expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(cronJob.spec.jobTemplate.spec.backoffLimit).toBeGreaterThanOrEqual(0);
    expect(pod.restartPolicy).toBe('Never');
  });

  it('runs as the non-root user of the image, with a read-only root, no privilege escalation and no capability', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(container.securityContext?.capabilities?.drop).toContain('ALL');
    const user = /^USER (\d+)/m.exec(dockerfile)?.[1];
    expect(user, 'a numeric USER in the Dockerfile').toBeDefined();
    expect(pod.securityContext?.runAsUser).toBe(Number(user));
    expect(Number(user)).toBeGreaterThan(0);
  });

  it('turns core dumps off before node starts (a dump holds the credentials), and execs node so it gets the signals', () => {
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1];
    const argv = JSON.parse(entrypoint ?? 'null') as string[];
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(argv[2]).toMatch(/^ulimit -c 0 && exec node \/app\/qcs-export\.mjs "\$@"$/);
  });

  it('has a memory limit, and no heap flag in the CronJob or the Dockerfile, so `run` sizes the heap from that limit', () => {
    const limit = container.resources.limits?.memory;
    expect(limit, 'resources.limits.memory').toBeDefined();
    expect(MiB(limit as string)).toBeGreaterThanOrEqual(256);
    const nodeOptions = container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    expect(nodeOptions).not.toMatch(/--max[-_]old[-_]space[-_]size/);
    expect(dockerfile).not.toMatch(/--max[-_]old[-_]space[-_]size/);
  });

  it('mounts the ConfigMap where its config is read, the Secret at /secrets, the claim at /data and a writable /tmp', () => {
    const configMap = only<ConfigMap>('ConfigMap');
    const config = mountAt('/config');
    expect(config.volume.configMap?.name).toBe(configMap.metadata.name);
    const configPath = container.args[container.args.findIndex((a) => a === '--config' || a === '-c') + 1];
    expect(Object.keys(configMap.data).map((key) => `/config/${key}`)).toContain(configPath);
    // The image's default command reads the same file, through QCS_EXPORT_CONFIG, as every other command run in it does.
    expect(dockerfile).toContain('CMD ["run"]');
    expect(dockerfile).toContain(`ENV QCS_EXPORT_CONFIG=${configPath}`);
    expect(dockerfile).toContain('ENTRYPOINT ["/bin/sh", "-c", "ulimit -c 0 && exec node /app/qcs-export.mjs \\"$@\\"", "qcs-export"]');

    expect(mountAt('/secrets').volume.secret?.secretName).toBe(exampleSecret.metadata.name);
    expect(mountAt('/data').volume.persistentVolumeClaim?.claimName).toBe(only('PersistentVolumeClaim').metadata.name);
    expect(mountAt('/tmp').volume.emptyDir).toBeDefined();
    for (const mount of container.volumeMounts) {
      expect(mount.readOnly === true, `${mount.mountPath} read-only`).toBe(!['/data', '/tmp'].includes(mount.mountPath));
    }
  });

  it("the ConfigMap's config passes the tool's validation, with the credentials read from the Secret's files", () => {
    const configMap = only<ConfigMap>('ConfigMap');
    const keys = Object.keys({ ...exampleSecret.stringData, ...exampleSecret.data });
    for (const [name, text] of Object.entries(configMap.data)) {
      const files = [...text.matchAll(/\$\{file:([^}]+)\}/g)].map((m) => (m[1] as string).trim());
      expect(files.length, `${name} reads its credentials from files`).toBeGreaterThan(0);
      // Only the active lines: a commented-out sink may name a key the Secret does not have yet.
      const active = text
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('#'))
        .join('\n');
      for (const [, file] of active.matchAll(/\$\{file:([^}]+)\}/g)) {
        expect(
          keys.map((k) => `/secrets/${k}`),
          `${file} is a key of the Secret mounted at /secrets`,
        ).toContain(file?.trim());
      }

      // The Secret's files, in a temporary directory standing for /secrets.
      const dir = mkdtempSync(join(tmpdir(), 'qcs-k8s-'));
      try {
        mkdirSync(join(dir, 'secrets'));
        for (const key of keys) writeFileSync(join(dir, 'secrets', key), `value-of-${key}\n`);
        const config = parseConfig(text.replaceAll('${file:/secrets/', `\${file:${dir}/secrets/`), join(dir, name), sinkPlugins, {});
        expect(config.credentialOrigins).toEqual([`file ${dir}/secrets/username`, `file ${dir}/secrets/password`]);
        expect(config.source).toMatchObject({ baseUrl: expect.stringMatching(/^https:\/\//), auth: { username: 'value-of-username' } });
        // Outputs on the volume: the root filesystem is read-only.
        const paths = config.sinks.map((s) => (s.options as { path?: string }).path).filter((p) => p !== undefined);
        expect(paths.length).toBeGreaterThan(0);
        for (const path of paths) expect(path).toMatch(/^\/data\//);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

// The image runs with a read-only root filesystem, so its working directory must be the writable data volume:
// otherwise a config's relative output path (the examples write `out/…`, `evidence/…`, `state/…`) fails there.
interface DockerRun {
  line: string;
  readOnlyRoot: boolean;
  volumes: Array<{ target: string; readOnly: boolean }>;
}

/** The instructions of the Dockerfile's last stage (the image that runs): comment lines dropped, continuations joined. */
function runtimeStage(): Array<{ instruction: string; args: string }> {
  const instructions = dockerfile
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, instruction = '', args = ''] = /^\s*(\S+)\s*(.*)$/.exec(line) ?? [];
      return { instruction: instruction.toUpperCase(), args: args.trim() };
    });
  const from = instructions.map((i) => i.instruction).lastIndexOf('FROM');
  expect(from, 'a FROM in the Dockerfile').toBeGreaterThanOrEqual(0);
  return instructions.slice(from);
}

/** Every `docker run` command in the fenced blocks of `text`, with its --read-only flag and its -v mounts. */
function dockerRuns(text: string): DockerRun[] {
  const blocks = [...text.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((m) => m[1] as string);
  return blocks
    .flatMap((block) => block.replace(/\\\n/g, ' ').split('\n'))
    .filter((line) => /^\s*docker run /.test(line))
    .map((line) => {
      const words = line.trim().split(/\s+/);
      const volumes = words.flatMap((word, i) => {
        if (word !== '-v' && word !== '--volume') return [];
        const [, target = '', options = ''] = (words[i + 1] ?? '').replaceAll('"', '').split(':');
        return [{ target, readOnly: options.split(',').includes('ro') }];
      });
      return { line: line.trim(), readOnlyRoot: words.includes('--read-only'), volumes };
    });
}

describe("the image's working directory is its writable data volume", () => {
  const stage = runtimeStage();
  const workdirs = stage.filter((i) => i.instruction === 'WORKDIR').map((i) => i.args);
  const workdir = workdirs.at(-1) ?? '';
  const readme = readFileSync(join(examples, '..', 'README.md'), 'utf8');
  // The Dockerfile's own header shows the same command, as comment lines.
  const dockerfileUsage = `\`\`\`\n${dockerfile
    .split('\n')
    .filter((l) => l.startsWith('#'))
    .map((l) => l.replace(/^#\s?/, ''))
    .join('\n')}\n\`\`\`\n`;

  it('WORKDIR of the image that runs is /data, made and owned by its USER', () => {
    expect(workdir).toBe('/data');
    const user = stage.find((i) => i.instruction === 'USER')?.args.split(':')[0];
    const run = stage
      .filter((i) => i.instruction === 'RUN')
      .map((i) => i.args)
      .join(' && ');
    expect(run).toMatch(new RegExp(`mkdir -p [^&]*${workdir}( |$)`));
    expect(run).toMatch(new RegExp(`chown ${user}:${user} [^&]*${workdir}( |$)`));
  });

  it('every `docker run` shown mounts a writable volume there, on a read-only root, with the config and secrets read-only', () => {
    const runs = [...dockerRuns(readme), ...dockerRuns(dockerfileUsage)];
    expect(runs.length, 'the README and the Dockerfile show `docker run`').toBeGreaterThanOrEqual(2);
    for (const run of runs) {
      expect(run.readOnlyRoot, run.line).toBe(true);
      expect(
        run.volumes.filter((v) => v.target === workdir),
        run.line,
      ).toEqual([{ target: workdir, readOnly: false }]);
      for (const v of run.volumes.filter((v) => v.target !== workdir)) expect(v.readOnly, `${v.target} in ${run.line}`).toBe(true);
    }
  });

  it('the CronJob runs in the same directory, on its writable claim', () => {
    const pod = only<CronJob>('CronJob').spec.jobTemplate.spec.template.spec;
    const container = pod.containers.find((c) => c.name === 'qcs-export') as Container;
    expect(container.workingDir).toBe(workdir);
    const mount = container.volumeMounts.find((m) => m.mountPath === workdir);
    expect(mount?.readOnly ?? false).toBe(false);
    expect(pod.volumes.find((v) => v.name === mount?.name)?.persistentVolumeClaim).toBeDefined();
  });

  it.each(configs)("%s: every relative output path (sinks, state, manifest) resolves under the image's working directory", (file) => {
    const text = readFileSync(file, 'utf8');
    // Every ${VAR} the example needs, set to something the config accepts.
    const env = Object.fromEntries(
      [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => [m[1] as string, m[1] === 'QUALYS_PLATFORM' ? 'US1' : 'https://placeholder.example.com']),
    );
    const config = parseConfig(text, file, sinkPlugins, env);
    const ctx = runContextFor(config, { sourceLabel: 'test', baseDir: workdir });
    const written = [
      ...outputsOf(config.sinks, sinkPlugins, ctx).map((o) => o.output),
      ...(config.run.state === undefined ? [] : [posix.resolve(workdir, config.run.state)]),
      manifestPathOf(undefined, config, ctx),
    ].filter((p): p is string => p !== undefined && p !== 'stdout');
    for (const path of written) expect(path.startsWith(`${workdir}/`), path).toBe(true);
  });
});

describe('the Dockerfile: a current Node LTS, and no package manager in the image that runs', () => {
  const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));

  it('builds and runs on an even (LTS) Node line from 24 up, a tag or a tag pinned by a well-formed digest', () => {
    for (const name of ['NODE_IMAGE', 'RUNTIME_IMAGE']) {
      const m = /^node:(\d+)-[\w.-]+(@sha256:[0-9a-f]{64})?$/.exec(args[name] ?? '');
      expect(m, `${name}=${args[name]}`).not.toBeNull();
      const major = Number(m?.[1]);
      expect(major).toBeGreaterThanOrEqual(24);
      expect(major % 2, `${name}: Node ${major} is not an LTS line`).toBe(0);
    }
    expect(runtimeStage()[0]).toEqual({ instruction: 'FROM', args: '${RUNTIME_IMAGE}' });
  });

  it('removes npm, npx, corepack and yarn from the image that runs: it needs node alone', () => {
    const removed = runtimeStage()
      .filter((i) => i.instruction === 'RUN')
      .flatMap((i) => [...i.args.matchAll(/rm -rf ([^&]+)/g)].flatMap((m) => (m[1] as string).trim().split(/\s+/)));
    for (const path of [
      '/usr/local/lib/node_modules/npm',
      '/usr/local/lib/node_modules/corepack',
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
      '/usr/local/bin/corepack',
      '/opt/yarn*',
      '/usr/local/bin/yarn',
      '/usr/local/bin/yarnpkg',
    ]) {
      expect(removed, path).toContain(path);
    }
  });
});
