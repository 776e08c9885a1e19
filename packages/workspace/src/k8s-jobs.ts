/**
 * The Kubernetes files of `sortscope study jobs`: the shared cache server (a Deployment with its
 * volume and a Service), the shards (an Indexed Job), the report (a Job whose artifacts/ is a
 * volume that outlives its pod), and a submit script that waits for each Job and stops on failure.
 *
 * Everything runs one image (the repository's Dockerfile: the repository at /work, node_modules
 * installed), named with its registry by the user; its pull policy is explicit. The cache token is
 * the Secret `sortscope-cache`, key `token`, read by the server and by every Job.
 */

export interface K8sOptions {
  /** the image, with its registry (e.g. registry.example.org/lab/sortscope:2026-12-06) */
  image: string;
  /** Always | IfNotPresent | Never [default: IfNotPresent] */
  pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** the report's artifacts volume [default: 20Gi] */
  reportStorage?: string;
  /** the cache server's volume [default: 50Gi] */
  cacheStorage?: string;
}

/** The in-cluster cache server's Service: its name is the host the Jobs reach it at. */
export const K8S_CACHE_SERVICE = 'sortscope-cache';
export const K8S_CACHE_PORT = 8181;
/** uid and gid of `node` in the official Node images: owns /work, and the volumes through fsGroup */
const NODE_UID = 1000;

export function k8sName(study: string): string {
  return `sortscope-${study.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 50).replace(/-+$/, '');
}

export function k8sFiles(study: string, shards: number, o: K8sOptions): Record<string, string> {
  const name = k8sName(study);
  const pull = o.pullPolicy ?? 'IfNotPresent';
  const url = `http://${K8S_CACHE_SERVICE}:${K8S_CACHE_PORT}`;
  const token = `valueFrom: { secretKeyRef: { name: ${K8S_CACHE_SERVICE}, key: token } }`;
  const env = `          env:
            - { name: SORTSCOPE_STUDY, value: "${study}" }
            - { name: NX_SELF_HOSTED_REMOTE_CACHE_SERVER, value: "${url}" }
            - name: NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN
              ${token}
            - { name: NX_DAEMON, value: "false" }
            - { name: NX_NO_CLOUD, value: "true" }
            - { name: NX_TUI, value: "false" }
            - { name: SORTSCOPE_QUIET, value: "1" }`;
  // the one container of a Job's pod: the image, the study's environment, its command
  const jobContainer = (container: string, command: string) => `      containers:
        - name: ${container}
          image: ${o.image}
          imagePullPolicy: ${pull}
          workingDir: /work
          resources: { requests: { cpu: "2", memory: 4Gi } }
${env}
          command: ${command}`;
  const pod = `      securityContext: { runAsUser: ${NODE_UID}, runAsGroup: ${NODE_UID}, fsGroup: ${NODE_UID} }`;
  return {
    'k8s-cache-server.yaml': `# The shared Nx cache: \`sortscope cache-server\` over a volume, reached by the Jobs at ${url}.
# Needs the Secret first:  kubectl create secret generic ${K8S_CACHE_SERVICE} --from-literal=token=<write token>
# One replica (the folder is its state; Recreate so two servers never race for the volume).
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${K8S_CACHE_SERVICE}
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: ${o.cacheStorage ?? '50Gi'} } }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${K8S_CACHE_SERVICE}
  labels: { app: ${K8S_CACHE_SERVICE} }
spec:
  replicas: 1
  strategy: { type: Recreate }
  selector: { matchLabels: { app: ${K8S_CACHE_SERVICE} } }
  template:
    metadata:
      labels: { app: ${K8S_CACHE_SERVICE} }
    spec:
${pod}
      containers:
        - name: cache-server
          image: ${o.image}
          imagePullPolicy: ${pull}
          workingDir: /work
          command: ["node", "/work/bin/sortscope.mjs", "cache-server", "--dir", "/cache", "--host", "0.0.0.0", "--port", "${K8S_CACHE_PORT}"]
          env:
            - name: SORTSCOPE_CACHE_TOKEN
              ${token}
          ports: [{ containerPort: ${K8S_CACHE_PORT} }]
          readinessProbe: { tcpSocket: { port: ${K8S_CACHE_PORT} }, periodSeconds: 5 }
          resources: { requests: { cpu: "500m", memory: 512Mi } }
          volumeMounts: [{ name: cache, mountPath: /cache }]
      volumes: [{ name: cache, persistentVolumeClaim: { claimName: ${K8S_CACHE_SERVICE} } }]
---
apiVersion: v1
kind: Service
metadata:
  name: ${K8S_CACHE_SERVICE}
spec:
  selector: { app: ${K8S_CACHE_SERVICE} }
  ports: [{ port: ${K8S_CACHE_PORT}, targetPort: ${K8S_CACHE_PORT} }]
`,
    'k8s-job.yaml': `# Kubernetes Indexed Job: completion index k runs shard k+1 of ${shards}, sharing results through ${url}.
apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
  completionMode: Indexed
  completions: ${shards}
  parallelism: ${shards}
  backoffLimitPerIndex: 2
  template:
    spec:
      restartPolicy: Never
${pod}
${jobContainer('shard', '["sh", "-c", "node /work/bin/sortscope.mjs study run --shard $((JOB_COMPLETION_INDEX + 1))/' + shards + '"]')}
`,
    'k8s-report-job.yaml': `# The report, after every shard of ${name} completed (k8s-submit.sh): all cache hits but the
# report, written to the volume ${name}-artifacts (mounted at /work/artifacts), which outlives the pod.
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}-artifacts
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: ${o.reportStorage ?? '20Gi'} } }
---
apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}-report
spec:
  completions: 1
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
${pod}
${jobContainer('report', '["node", "/work/bin/sortscope.mjs", "study", "run"]')}
          volumeMounts: [{ name: artifacts, mountPath: /work/artifacts }]
      volumes: [{ name: artifacts, persistentVolumeClaim: { claimName: ${name}-artifacts } }]
`,
    'k8s-submit.sh': `#!/bin/bash
# Kubernetes has no dependencies between Jobs: start the cache server, run the shards, wait for all of
# them (stopping on a failed Job instead of waiting forever), then the report. Exit 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")"
kubectl get secret ${K8S_CACHE_SERVICE} >/dev/null || { echo "sortscope: create the Secret first: kubectl create secret generic ${K8S_CACHE_SERVICE} --from-literal=token=<write token>" >&2; exit 1; }
# Complete → 0; Failed → 1, with where to look
wait_job() {
  while :; do
    conditions=" $(kubectl get job "$1" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}') "
    case "$conditions" in
      *" Complete "*) echo "job $1 complete"; return 0 ;;
      *" Failed "*) echo "sortscope: job $1 failed; see: kubectl describe job $1; kubectl logs -l job-name=$1 --prefix" >&2; return 1 ;;
    esac
    sleep "\${SORTSCOPE_POLL_SECONDS:-15}"
  done
}
kubectl apply -f k8s-cache-server.yaml
kubectl rollout status deployment/${K8S_CACHE_SERVICE} --timeout=600s
kubectl apply -f k8s-job.yaml
wait_job ${name}
kubectl apply -f k8s-report-job.yaml
wait_job ${name}-report
echo "the report is on the volume ${name}-artifacts (report-${study}/ in it)"
`,
  };
}
