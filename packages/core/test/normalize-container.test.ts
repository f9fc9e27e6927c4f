import { describe, expect, it } from 'vitest';
import { normalizeContainer, ProtocolError } from '../src/index.js';

// Issue 21, point 2: container records, normalized like images. The raw records follow the shapes of Qualys' samples
// ("Fetch a List of Containers in Your Account", "Fetch Container Details"); the values are made up.
const SHA = 'd838bcb622a003b767ace31039475f37a5d34f093f8de82a71536f3fcfcb839e';

describe('normalizeContainer', () => {
  it('reads a /containers list record: ids, state, dates as ISO, null counts as 0 inside a counts object', () => {
    const c = normalizeContainer(
      {
        imageId: 'b798104c002a',
        created: '1721713977000',
        updated: '1721714109665',
        sha: SHA,
        uuid: '051a684a-9bad-3cb1-bf28-91084ee6e024',
        name: 'test-vul-propogation',
        host: null,
        state: 'DELETED',
        imageUuid: 'fbdc0a10-7186-3439-8712-2db20df179e6',
        containerId: 'd838bcb622a0',
        stateChanged: '1721714102790',
        lastVmScanDate: null,
        isRoot: null,
        vulnerabilities: { severity5Count: 2, severity3Count: null, severity4Count: 1, severity1Count: null, severity2Count: 0 },
      },
      'containers',
    );
    expect(c).toMatchObject({
      sha: SHA,
      containerId: 'd838bcb622a0',
      uuid: '051a684a-9bad-3cb1-bf28-91084ee6e024',
      name: 'test-vul-propogation',
      state: 'DELETED',
      created: '2024-07-23T05:52:57.000Z',
      updated: '2024-07-23T05:55:09.665Z',
      stateChanged: '2024-07-23T05:55:02.790Z',
      imageId: 'b798104c002a',
      imageSha: null,
      host: null,
      kubernetes: null,
      vulnerabilityCounts: { severity1Count: 0, severity2Count: 0, severity3Count: 0, severity4Count: 1, severity5Count: 2, total: 3 },
      origin: 'containers',
    });
    // Fields this model does not name are kept as sent.
    expect(c.extra).toEqual({ lastVmScanDate: null, isRoot: null });
  });

  it('reads details: the host, privileged, counts wrapped in a one-item array, and Kubernetes from cluster.k8s.pod', () => {
    const c = normalizeContainer(
      {
        imageId: '3acfa0195040',
        sha: SHA,
        privileged: false,
        imageSha: '3acfa01950409618705f07e1cc86f29f10ebcf548fe4fb4a7b83abe5bbc6b515',
        ipv4: '10.82.8.31',
        name: 'spring-1',
        host: {
          sensorUuid: 'e8fe235d',
          hostname: 'ip-10-82-10-133.ec2.internal',
          ipAddress: '10.82.10.133',
          uuid: null,
          lastUpdated: '2026-02-10T00:00:24.276Z',
        },
        state: 'running',
        command: 'null',
        vulnerabilities: [{ severity5Count: 6, severity3Count: 2, severity4Count: 4, severity1Count: null, severity2Count: 3 }],
        cluster: {
          name: 'prod-eks',
          type: 'KUBERNETES',
          k8s: {
            project: null,
            pod: { name: 'spring-1-7d9f', uuid: '4a7d3fc3', namespace: 'payments', controller: { type: 'ReplicaSet', name: 'spring-1-7d9f' } },
          },
        },
        label: [{ key: 'io.kubernetes.container.name', value: 'spring' }],
      },
      'containers/details',
    );
    expect(c).toMatchObject({
      state: 'RUNNING',
      privileged: false,
      ipAddress: '10.82.8.31',
      host: { hostname: 'ip-10-82-10-133.ec2.internal', ipAddress: '10.82.10.133', lastUpdated: '2026-02-10T00:00:24.276Z' },
      vulnerabilityCounts: { severity5Count: 6, severity4Count: 4, severity3Count: 2, severity2Count: 3, severity1Count: 0, total: 15 },
      kubernetes: {
        cluster: 'prod-eks',
        namespace: 'payments',
        pod: 'spring-1-7d9f',
        podUid: '4a7d3fc3',
        controller: 'ReplicaSet/spring-1-7d9f',
        containerName: 'spring',
      },
    });
    // The cluster object stays whole, and so does the "null" string Qualys sends as a command.
    expect(c.extra['cluster']).toMatchObject({ type: 'KUBERNETES' });
    expect(c.extra['command']).toBe('null');
  });

  it('without cluster, the io.kubernetes.* labels give the namespace, pod and container name', () => {
    const c = normalizeContainer(
      {
        sha: SHA,
        label: [
          { key: 'io.kubernetes.container.name', value: 'kube-flannel' },
          { key: 'io.kubernetes.pod.uid', value: '5a737762-77c2' },
          { key: 'io.kubernetes.pod.namespace', value: 'kube-flannel' },
          { key: 'io.kubernetes.pod.name', value: 'kube-flannel-ds-mpmq6' },
        ],
      },
      'containers/details',
    );
    expect(c.kubernetes).toEqual({
      cluster: null,
      namespace: 'kube-flannel',
      pod: 'kube-flannel-ds-mpmq6',
      podUid: '5a737762-77c2',
      controller: null,
      containerName: 'kube-flannel',
    });
    expect(c.labels).toHaveLength(4);
  });

  it('the bulk form sends findings, not counts: no counts are invented, the findings are kept', () => {
    const c = normalizeContainer({ sha: SHA, vulnerabilities: [{ qid: 1, result: null, software: [] }] }, 'containers/list');
    expect(c.vulnerabilityCounts).toBeNull();
    expect(c.extra['vulnerabilities']).toEqual([{ qid: 1, result: null, software: [] }]);
  });

  it('a value of a type the model cannot read is kept in extra, and a record without a sha cannot be exported', () => {
    const c = normalizeContainer({ sha: SHA, privileged: 'sometimes', created: 'yesterday' }, 'containers');
    expect(c).toMatchObject({ privileged: null, created: null, extra: { privileged: 'sometimes', created: 'yesterday' } });
    expect(() => normalizeContainer({ uuid: 'u-1', containerId: 'abc' }, 'containers')).toThrow(ProtocolError);
    expect(() => normalizeContainer({ uuid: 'u-1', containerId: 'abc' }, 'containers')).toThrow(/no "sha" \(uuid u-1, containerId abc\)/);
  });
});
