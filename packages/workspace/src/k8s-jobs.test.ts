/**
 * The Kubernetes files, parsed as YAML and checked against the parts of the Kubernetes API they
 * use (zod schemas of PersistentVolumeClaim, Deployment, Service and Job: kinds, required fields,
 * value types), with their cross-references resolved (Service → Deployment labels, volumes →
 * claims, the Jobs' cache URL → the Service, the token → the Secret); and k8s-submit.sh run by bash
 * with a stand-in `kubectl` whose Jobs complete or fail.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';
import { K8S_CACHE_PORT, K8S_CACHE_SERVICE, k8sFiles } from './k8s-jobs.ts';

const tmp = useTempDirs('k8s');

const meta = z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63), labels: z.record(z.string(), z.string()).optional() });
const envVar = z.union([
  z.object({ name: z.string(), value: z.string() }).strict(),
  z.object({ name: z.string(), valueFrom: z.object({ secretKeyRef: z.object({ name: z.string(), key: z.string() }).strict() }).strict() }).strict(),
]);
const container = z.object({
  name: z.string(),
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
  workingDir: z.string().optional(),
  command: z.array(z.string()).min(1),
  env: z.array(envVar).optional(),
  ports: z.array(z.object({ containerPort: z.number().int() }).strict()).optional(),
  readinessProbe: z.object({ tcpSocket: z.object({ port: z.number().int() }), periodSeconds: z.number().int() }).optional(),
  resources: z.object({ requests: z.object({ cpu: z.string(), memory: z.string() }).strict() }).strict(),
  volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string() }).strict()).optional(),
}).strict();
const podSpec = z.object({
  restartPolicy: z.enum(['Never', 'OnFailure', 'Always']).optional(),
  securityContext: z.object({ runAsUser: z.number().int(), runAsGroup: z.number().int(), fsGroup: z.number().int() }).strict(),
  containers: z.array(container).length(1),
  volumes: z.array(z.object({ name: z.string(), persistentVolumeClaim: z.object({ claimName: z.string() }).strict() }).strict()).optional(),
}).strict();
const pvc = z.object({ apiVersion: z.literal('v1'), kind: z.literal('PersistentVolumeClaim'), metadata: meta, spec: z.object({ accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadWriteMany'])), resources: z.object({ requests: z.object({ storage: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/) }) }) }).strict() }).strict();
const deployment = z.object({
  apiVersion: z.literal('apps/v1'), kind: z.literal('Deployment'), metadata: meta,
  spec: z.object({ replicas: z.number().int(), strategy: z.object({ type: z.enum(['Recreate', 'RollingUpdate']) }), selector: z.object({ matchLabels: z.record(z.string(), z.string()) }), template: z.object({ metadata: z.object({ labels: z.record(z.string(), z.string()) }), spec: podSpec }) }).strict(),
}).strict();
const service = z.object({ apiVersion: z.literal('v1'), kind: z.literal('Service'), metadata: meta, spec: z.object({ selector: z.record(z.string(), z.string()), ports: z.array(z.object({ port: z.number().int(), targetPort: z.number().int() }).strict()) }).strict() }).strict();
const job = z.object({
  apiVersion: z.literal('batch/v1'), kind: z.literal('Job'), metadata: meta,
  spec: z.object({ completionMode: z.enum(['Indexed', 'NonIndexed']).optional(), completions: z.number().int(), parallelism: z.number().int().optional(), backoffLimit: z.number().int().optional(), backoffLimitPerIndex: z.number().int().optional(), template: z.object({ spec: podSpec.extend({ restartPolicy: z.enum(['Never', 'OnFailure']) }) }) }).strict(),
}).strict();
const resource = z.discriminatedUnion('kind', [pvc, deployment, service, job]);
type Resource = z.infer<typeof resource>;

function parse(text: string): Resource[] {
  return parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([]);
    return resource.parse(d.toJS());
  });
}

describe('the Kubernetes files', () => {
  const files = k8sFiles('Full_study', 12, { image: 'registry.example.org/lab/sortscope:1', pullPolicy: 'Always', reportStorage: '5Gi' });
  const all = Object.entries(files).filter(([n]) => n.endsWith('.yaml')).flatMap(([, t]) => parse(t));
  const of = <K extends Resource['kind']>(kind: K) => all.filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind);

  it('are valid resources of the API they use, one image with its pull policy everywhere', () => {
    expect(all.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual([
      `Deployment/${K8S_CACHE_SERVICE}`, 'Job/sortscope-full-study', 'Job/sortscope-full-study-report',
      `PersistentVolumeClaim/${K8S_CACHE_SERVICE}`, 'PersistentVolumeClaim/sortscope-full-study-artifacts', `Service/${K8S_CACHE_SERVICE}`,
    ]);
    const pods = [...of('Deployment').map((d) => d.spec.template.spec), ...of('Job').map((j) => j.spec.template.spec)];
    for (const p of pods) expect(p.containers[0]).toMatchObject({ image: 'registry.example.org/lab/sortscope:1', imagePullPolicy: 'Always' });
    expect(of('PersistentVolumeClaim').find((p) => p.metadata.name.endsWith('-artifacts'))!.spec.resources.requests.storage).toBe('5Gi');
    const shards = of('Job').find((j) => j.metadata.name === 'sortscope-full-study')!;
    expect(shards.spec).toMatchObject({ completionMode: 'Indexed', completions: 12, parallelism: 12 });
    expect(shards.spec.template.spec.containers[0].command.at(-1)).toBe('node /work/bin/sortscope.mjs study run --shard $((JOB_COMPLETION_INDEX + 1))/12');
  });

  it('reference each other: the Service selects the server, volumes name their claims, the Jobs reach the Service with the Secret token', () => {
    const [dep] = of('Deployment');
    const [svc] = of('Service');
    expect(dep.spec.selector.matchLabels).toEqual(dep.spec.template.metadata.labels);
    expect(svc.spec.selector).toEqual(dep.spec.template.metadata.labels);
    expect(svc.spec.ports[0].targetPort).toBe(dep.spec.template.spec.containers[0].ports![0].containerPort);
    expect(dep.spec.template.spec.containers[0].command).toEqual(['node', '/work/bin/sortscope.mjs', 'cache-server', '--dir', '/cache', '--host', '0.0.0.0', '--port', String(K8S_CACHE_PORT)]);
    const claims = new Set(of('PersistentVolumeClaim').map((p) => p.metadata.name));
    const pods = [...of('Deployment').map((d) => d.spec.template.spec), ...of('Job').map((j) => j.spec.template.spec)];
    for (const p of pods) {
      for (const v of p.volumes ?? []) expect(claims.has(v.persistentVolumeClaim.claimName)).toBe(true);
      for (const m of p.containers[0].volumeMounts ?? []) expect(p.volumes!.map((v) => v.name)).toContain(m.name);
      const secrets = (p.containers[0].env ?? []).flatMap((e) => ('valueFrom' in e ? [e.valueFrom.secretKeyRef] : []));
      expect(secrets).toEqual([{ name: K8S_CACHE_SERVICE, key: 'token' }]);
    }
    for (const j of of('Job')) {
      const env = Object.fromEntries(j.spec.template.spec.containers[0].env!.flatMap((e) => ('value' in e ? [[e.name, e.value]] : [])));
      expect(env.NX_SELF_HOSTED_REMOTE_CACHE_SERVER).toBe(`http://${svc.metadata.name}:${svc.spec.ports[0].port}`);
      expect(env.SORTSCOPE_STUDY).toBe('Full_study');
      expect(Object.keys(env)).not.toContain('SORTSCOPE_BACKEND'); // an Nx input that would split the cache from a plain checkout
    }
    // the report's artifacts/ is the volume that outlives its pod
    const report = of('Job').find((j) => j.metadata.name.endsWith('-report'))!.spec.template.spec;
    expect(report.containers[0].volumeMounts).toEqual([{ name: 'artifacts', mountPath: '/work/artifacts' }]);
  });

  it('k8s-submit.sh waits for each Job, and stops with exit 1 when the shards fail instead of waiting forever', () => {
    const dir = tmp();
    const jobs = join(dir, 'jobs');
    const bin = join(dir, 'bin');
    mkdirSync(jobs);
    mkdirSync(bin);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(jobs, name), text);
    const log = join(dir, 'kubectl.log');
    // a Job's conditions: "Complete" after two polls, or "Failed" when $FAIL names it
    writeFileSync(join(bin, 'kubectl'), `#!/bin/bash\necho "kubectl $*" >> "${log}"\nif [ "$1 $2" = "get job" ]; then n=$(grep -c "get job $3 " "${log}"); if [ "$3" = "\${FAIL:-}" ]; then echo "FailureTarget Failed"; elif [ $n -ge 2 ]; then echo "SuccessCriteriaMet Complete"; fi; fi\n`);
    chmodSync(join(bin, 'kubectl'), 0o755);
    const run = (extra: Record<string, string>) => spawnSync('bash', [join(jobs, 'k8s-submit.sh')], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, SORTSCOPE_POLL_SECONDS: '0', ...extra } });
    const calls = () => readFileSync(log, 'utf8').trim().split('\n').filter((l) => !l.startsWith('kubectl get job'));
    const ok = run({});
    expect(ok.status, ok.stderr).toBe(0);
    expect(calls()).toEqual([
      `kubectl get secret ${K8S_CACHE_SERVICE}`,
      'kubectl apply -f k8s-cache-server.yaml',
      `kubectl rollout status deployment/${K8S_CACHE_SERVICE} --timeout=600s`,
      'kubectl apply -f k8s-job.yaml',
      'kubectl apply -f k8s-report-job.yaml',
    ]);
    writeFileSync(log, '');
    const failed = run({ FAIL: 'sortscope-full-study' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/job sortscope-full-study failed; see: kubectl describe job sortscope-full-study/);
    expect(calls()).not.toContain('kubectl apply -f k8s-report-job.yaml');
  });
});
