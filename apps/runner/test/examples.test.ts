import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configJsonSchema } from '../src/config/json-schema.js';
import { parseConfig } from '../src/config/load.js';
import { sinkPlugins } from '../src/registry.js';

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

// examples/kubernetes/: the CronJob and what it mounts. Kubernetes is not run here; these check what a reader of the
// manifests relies on, and that the config in the ConfigMap is one the tool accepts.
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

const kubernetes = join(examples, 'kubernetes');
const manifests: Manifest[] = readdirSync(kubernetes)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(kubernetes, f), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${f}: ${doc.errors[0]?.message}`);
      return doc.toJS() as Manifest;
    }),
  );
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

  it('every manifest parses, and the CronJob, ConfigMap, Secret and PersistentVolumeClaim are there', () => {
    expect(manifests.every((m) => typeof m.apiVersion === 'string' && typeof m.kind === 'string' && typeof m.metadata?.name === 'string')).toBe(true);
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'CronJob', 'PersistentVolumeClaim', 'Secret']);
    expect(container).toBeDefined();
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
    // The image's default command reads the same file.
    expect(dockerfile).toContain(`CMD ["run", "-c", "${configPath}"]`);
    expect(dockerfile).toContain('ENTRYPOINT ["/bin/sh", "-c", "ulimit -c 0 && exec node /app/qcs-export.mjs \\"$@\\"", "qcs-export"]');

    expect(mountAt('/secrets').volume.secret?.secretName).toBe(only<Secret>('Secret').metadata.name);
    expect(mountAt('/data').volume.persistentVolumeClaim?.claimName).toBe(only('PersistentVolumeClaim').metadata.name);
    expect(mountAt('/tmp').volume.emptyDir).toBeDefined();
    for (const mount of container.volumeMounts) {
      expect(mount.readOnly === true, `${mount.mountPath} read-only`).toBe(!['/data', '/tmp'].includes(mount.mountPath));
    }
  });

  it("the ConfigMap's config passes the tool's validation, with the credentials read from the Secret's files", () => {
    const configMap = only<ConfigMap>('ConfigMap');
    const secret = only<Secret>('Secret');
    const keys = Object.keys({ ...secret.stringData, ...secret.data });
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
