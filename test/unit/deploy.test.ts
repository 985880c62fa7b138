// The container image and the Kubernetes Job, checked without an engine or a cluster: the
// Dockerfile by a Dockerfile linter and by what it must do; the Job and its service account
// against the Kubernetes API schemas, and for the policies a batch Job needs.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { Job } from 'kubernetes-models/batch/v1';
import { ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { EXIT } from '../../src/cli/exit.ts';
import { ROOT } from '../helpers/paths.ts';

/** The end of each Node LTS line's support (nodejs.org's release schedule). */
const NODE_LTS_END: Record<number, string> = { 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30', 26: '2029-04-30' };

describe('the Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const file = DockerfileParser.parse(text);
  const instructions = file.getInstructions();
  const froms = file.getFROMs();
  // The runtime: from the last FROM on.
  const runtimeStart = instructions.indexOf(froms.at(-1)!);
  const runtime = instructions.slice(runtimeStart);
  const args = (keyword: string, of = runtime) => of.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '');

  it('passes the linter, which finds a broken instruction', () => {
    expect(lintDockerfile(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(lintDockerfile(`${text}\nEXPOSEE 80\n`).length).toBeGreaterThan(0);
  });

  it('builds in one stage and runs a supported Node LTS on Debian slim in another', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]!.getBuildStage()).toBe('build');
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(text)?.[1] ?? '';
    const m = /^node:(\d+)-(bookworm|trixie)-slim$/.exec(image);
    expect(m, image).not.toBeNull();
    const end = NODE_LTS_END[Number(m![1])];
    expect(end, `node ${m![1]} is not an LTS line`).toBeDefined();
    expect(new Date(end!).getTime(), `node ${m![1]} support ends ${end}`).toBeGreaterThan(Date.now());
    expect(froms.every((f) => f.getImage() === '${NODE_IMAGE}')).toBe(true);
  });

  it('runs as PID 1 tini, as the unprivileged node user, with Chromium and production dependencies only', () => {
    expect(args('ENTRYPOINT')[0]).toMatch(/^\["\/usr\/bin\/tini", "--", "node", /);
    expect(args('USER')).toEqual(['node']);
    const runs = args('RUN').join('\n');
    expect(runs).toMatch(/apt-get install -y --no-install-recommends [^\n]*\bchromium\b[^\n]*\btini\b/);
    expect(runs).toContain('npm ci --omit=dev');
    expect(runs).not.toMatch(/npm (ci|install)(?![^\n]*--omit=dev)/);
    // The app comes built from the first stage: the runtime has no build tools to build it.
    const copies = runtime.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getTextContent());
    expect(copies).toEqual(expect.arrayContaining(['COPY --from=build /src/dist ./dist', 'COPY --from=build /src/bin ./bin', 'COPY --from=build /src/src ./src']));
    expect(args('RUN', instructions.slice(0, runtimeStart)).join('\n')).toContain('node bin/tench.js build');
  });

  it('bakes a model folder when asked, from a default folder the build context holds', () => {
    const model = /^ARG MODEL_DIR=(\S+)$/m.exec(text)?.[1];
    expect(model).toBeDefined();
    expect(existsSync(join(ROOT, model!))).toBe(true);
    expect(args('COPY')).toContain('${MODEL_DIR}/ /opt/tench/model/');
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const path of [model!, 'src', 'workers', 'public', 'bin', 'index.html', 'package-lock.json']) {
      expect(ignored.some((i) => path === i || path.startsWith(`${i}/`)), `${path} is in .dockerignore`).toBe(false);
    }
  });
});

describe('the Kubernetes Job', () => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/tench-indexed-job.yaml'), 'utf8')).map((d) => d.toJS());
  const account = docs.find((d) => d.kind === 'ServiceAccount');
  const job = docs.find((d) => d.kind === 'Job');

  it('is a service account and a Job that the Kubernetes schemas accept, and a broken Job they refuse', () => {
    expect(docs.map((d) => d.kind)).toEqual(['ServiceAccount', 'Job']);
    expect(() => new ServiceAccount(account).validate()).not.toThrow();
    expect(() => new Job(job).validate()).not.toThrow();
    const broken = structuredClone(job);
    broken.spec.podFailurePolicy.rules[0].action = 'Explode';
    expect(() => new Job(broken).validate()).toThrow(/action/);
  });

  it('fails at once on a usage error, and is bounded in time and kept a day', () => {
    const container = job.spec.template.spec.containers[0];
    expect(job.spec.podFailurePolicy.rules).toContainEqual({ action: 'FailJob', onExitCodes: { containerName: container.name, operator: 'In', values: [EXIT.usage] } });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    // Kubernetes does not tell a pod how many indexes there are: TENCH_SHARDS must say the same.
    expect(container.env.find((e: { name: string }) => e.name === 'TENCH_SHARDS')?.value).toBe(String(job.spec.completions));
  });

  it('runs under the restricted Pod Security Standard, with credentials through its service account', () => {
    const pod = job.spec.template.spec;
    const container = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.serviceAccountName).toBe(account.metadata.name);
    expect(account.metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    // No static keys unless chosen: the service account's role is the way.
    expect((container.env as Array<{ name: string }>).map((e) => e.name)).not.toContain('AWS_SECRET_ACCESS_KEY');
  });
});
