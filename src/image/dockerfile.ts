/**
 * `mlp image dockerfile`: a Dockerfile for teams who build with Docker, giving an image that
 * behaves as `mlp image build`'s: mlp from npm at this version on a Node base, the model under
 * /model, the same entrypoint, port, healthcheck and lineage labels. (Docker's build is not
 * byte-reproducible, so its digest differs.)
 */
import { IMAGE_PATHS } from './contents.js';
import { LABEL } from './build.js';
import { MLP_PACKAGE_NAME } from '../version.js';

export interface DockerfileOptions {
  /** The model directory, relative to the build context (the directory `docker build` is given). */
  modelPath: string;
  kind: 'text' | 'cifar10';
  base: string;
  mlpVersion: string;
  labels: Record<string, string>;
}

export function dockerfile(options: DockerfileOptions): string {
  const packages = [`${MLP_PACKAGE_NAME}@${options.mlpVersion}`];
  if (options.kind === 'cifar10') packages.push('@tensorflow/tfjs@^4.22.0', '@tensorflow/tfjs-backend-wasm@^4.22.0');
  const labels = Object.entries(options.labels)
    .filter(([k]) => k !== LABEL.created)
    .map(([k, v]) => `      ${k}=${JSON.stringify(v)}`);
  const health = ['node', '-e', "fetch('http://127.0.0.1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"];
  const entry = ['mlp', 'serve', IMAGE_PATHS.model, '--host', '0.0.0.0', '--port', '80', '--no-watch'];
  const model = options.modelPath.replace(/\\/g, '/').replace(/\/$/, '') || '.';
  return [
    '# syntax=docker/dockerfile:1',
    `# Written by \`mlp image dockerfile ${model}\`: the image \`mlp image build\` writes, built by Docker.`,
    '# Build it from the directory the model path is relative to:  docker build -t NAME:TAG -f Dockerfile .',
    `FROM ${options.base}`,
    `RUN npm install --global --omit=dev --no-audit --no-fund ${packages.join(' ')} && npm cache clean --force`,
    `COPY ${JSON.stringify([model, IMAGE_PATHS.model])}`,
    `WORKDIR ${IMAGE_PATHS.workdir}`,
    'ENV NODE_ENV=production',
    'EXPOSE 80',
    `HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ${JSON.stringify(health)}`,
    ...(labels.length ? [`LABEL ${labels.join(' \\\n').trimStart()}`] : []),
    'STOPSIGNAL SIGTERM',
    `ENTRYPOINT ${JSON.stringify(entry)}`,
    '',
  ].join('\n');
}
