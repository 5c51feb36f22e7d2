/**
 * `mlp image build|push|save|dockerfile`: a served model as an OCI image, without a Docker daemon.
 * Parse → call src/image → render.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import { isQuiet, parseSizeOption } from './options.js';

/** Where `build` writes the layout and the other commands read it, unless told otherwise. */
const DEFAULT_LAYOUT = 'mlp-image';

interface BuildFlags {
  name?: string;
  tag: string[];
  base?: string;
  output: string;
  plainHttp?: boolean;
  json?: boolean;
}

interface PushFlags {
  layout: string;
  plainHttp?: boolean;
  chunkSize: number;
  json?: boolean;
}

export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('package a trained model as an OCI image that runs `mlp serve` (no Docker daemon needed)');

  image
    .command('build')
    .description('write an OCI image layout: runtime, mlp and the model as layers; entrypoint `mlp serve` on port 80')
    .argument('<model-dir>', 'a model directory written by `mlp text train` or `mlp cifar10 train`')
    .option('--name <name>', 'image name, e.g. spam or team/spam (default: the model directory\'s name)')
    .option('-t, --tag <tag>', 'a tag (repeatable; default: latest and a UTC timestamp)', collect, [])
    .option('--base <image>', 'build on this image from a registry (e.g. node:20-slim) instead of this host\'s Node runtime')
    .option('-o, --output <dir>', 'the layout directory to write', DEFAULT_LAYOUT)
    .option('--plain-http', 'speak HTTP, not HTTPS, to the base image\'s registry (loopback registries always use HTTP)')
    .option('--json', 'print a JSON summary')
    .action(async (modelDir: string, flags: BuildFlags, command: Command) => {
      const { buildImage } = await import('../image/build.js');
      const { detectModelKind } = await import('../../stages/servables/load.js');
      const { mlpVersion } = await import('../version.js');
      const { formatBytes } = await import('../ui/render.js');
      if (!fs.existsSync(modelDir)) throw new MlpError(`${modelDir} does not exist`, { hint: 'train the model first (`mlp repro`), or `mlp checkout` it from the cache' });
      checkLayoutTarget(flags.output);
      const kind = detectModelKind(path.resolve(modelDir));
      const name = flags.name ?? defaultName(modelDir);
      const quiet = isQuiet(command) || flags.json === true;
      const started = Date.now();
      const result = await buildImage({
        modelDir,
        layoutDir: flags.output,
        kind,
        name,
        tags: flags.tag,
        ...(flags.base ? { base: flags.base } : {}),
        mlpVersion: mlpVersion(),
        registry: { plainHttp: flags.plainHttp === true },
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...result, seconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
        return;
      }
      if (quiet) return;
      const out: string[] = [`Built ${kind} image ${name} in ${flags.output}/ (${result.layers.length} layers, ${formatBytes(result.size)}, ${((Date.now() - started) / 1000).toFixed(1)}s)`];
      for (const layer of result.layers) {
        out.push(`  ${layer.role.padEnd(8)} ${layer.digest.slice(0, 19)}  ${formatBytes(layer.size).padStart(10)}${layer.reused ? '  (unchanged, reused)' : ''}`);
      }
      out.push(`Digest: ${result.manifestDigest}`);
      out.push(`Tags:   ${result.tags.join(', ')}`);
      out.push(`Model:  ${result.labels['dev.mlp.model.sha256']}${result.labels['dev.mlp.lock.stage'] ? ` (stage ${result.labels['dev.mlp.lock.stage']}, ${result.labels['dev.mlp.lock.path']})` : ''}`);
      if (result.labels['org.opencontainers.image.revision']) out.push(`Commit: ${result.labels['org.opencontainers.image.revision']}`);
      process.stdout.write(`${out.join('\n')}\n`);
    });

  image
    .command('push')
    .description('push the built image to a registry (OCI Distribution API): only the blobs it lacks')
    .argument('<reference>', 'registry/name[:tag]; without a tag, every tag of the build')
    .option('--layout <dir>', 'the layout `mlp image build` wrote', DEFAULT_LAYOUT)
    .option('--plain-http', 'speak HTTP, not HTTPS, to the registry (loopback registries always use HTTP)')
    .option('--chunk-size <size>', 'blobs larger than this are sent in chunks of this size', parseSizeOption, 16 * 1024 * 1024)
    .option('--json', 'print a JSON summary')
    .action(async (reference: string, flags: PushFlags, command: Command) => {
      const { parseReference } = await import('../image/reference.js');
      const { OciLayout } = await import('../image/layout.js');
      const { pushImage } = await import('../image/registry.js');
      const { formatBytes } = await import('../ui/render.js');
      const ref = parseReference(reference);
      if (ref.digest) throw new MlpError(`push to a tag, not a digest: '${reference}'`, { exitCode: ExitCode.usage, hint: 'write registry/name[:tag]' });
      const layout = OciLayout.open(flags.layout);
      const tags = ref.tag ? [ref.tag] : layout.image().tags;
      if (tags.length === 0) throw new MlpError(`${flags.layout} has no tags to push`, { exitCode: ExitCode.usage, hint: 'name one: registry/name:tag' });
      const result = await pushImage(layout, ref, tags, { plainHttp: flags.plainHttp === true, chunkSize: flags.chunkSize });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      if (isQuiet(command)) return;
      const sent = result.blobsSent === 0 ? 'no blob sent' : `${result.blobsSent} blob${result.blobsSent === 1 ? '' : 's'} sent (${formatBytes(result.bytesSent)})`;
      process.stdout.write(`Pushed ${result.reference} (${result.tags.length === 1 ? 'tag' : 'tags'} ${result.tags.join(', ')}): ${sent}, ${result.blobsSkipped} already there\nDigest: ${result.manifestDigest}\n`);
    });

  image
    .command('save')
    .description('write the built image as a tar that `docker load` (and podman, skopeo) read')
    .requiredOption('-o, --output <file>', 'the archive to write, e.g. image.tar')
    .option('--layout <dir>', 'the layout `mlp image build` wrote', DEFAULT_LAYOUT)
    .option('--name <name>', 'the name `docker images` shows (default: the name it was built with)')
    .action(async (flags: { output: string; layout: string; name?: string }, command: Command) => {
      const { OciLayout } = await import('../image/layout.js');
      const { saveImage } = await import('../image/save.js');
      const { formatBytes } = await import('../ui/render.js');
      const layout = OciLayout.open(flags.layout);
      const image = layout.image();
      const name = flags.name ?? image.config.config.Labels?.['org.opencontainers.image.title'] ?? 'model';
      const result = await saveImage(layout, flags.output, name, image.tags.length ? image.tags : ['latest']);
      if (!isQuiet(command)) process.stdout.write(`Saved ${result.repoTags.join(', ')} to ${result.file} (${formatBytes(result.size)}): load it with \`docker load -i ${result.file}\`\n`);
    });

  image
    .command('dockerfile')
    .description('print (or write) a Dockerfile that builds the same image with Docker')
    .argument('<model-dir>', 'the model directory, relative to where `docker build` will run')
    .option('--name <name>', 'image name for its title label (default: the model directory\'s name)')
    .option('--base <image>', 'the base image', 'node:20-slim')
    .option('-o, --output <file>', 'write it to this file instead of stdout')
    .action(async (modelDir: string, flags: { name?: string; base: string; output?: string }, command: Command) => {
      const { dockerfile } = await import('../image/dockerfile.js');
      const { detectModelKind } = await import('../../stages/servables/load.js');
      const { modelSource } = await import('../serve/source.js');
      const { mlpVersion } = await import('../version.js');
      const { writeFileAtomic } = await import('../util/fs.js');
      const dir = path.resolve(modelDir);
      const kind = detectModelKind(dir);
      const source = modelSource(dir);
      const labels: Record<string, string> = {
        'org.opencontainers.image.title': flags.name ?? defaultName(modelDir),
        'dev.mlp.model.sha256': source.sha256,
        'dev.mlp.model.kind': kind,
        'dev.mlp.version': mlpVersion(),
        ...(source.commit ? { 'org.opencontainers.image.revision': source.commit } : {}),
        ...(source.stage ? { 'dev.mlp.lock.stage': source.stage } : {}),
        ...(source.path ? { 'dev.mlp.lock.path': source.path } : {}),
      };
      const text = dockerfile({ modelPath: path.relative(process.cwd(), dir) || '.', kind, base: flags.base, mlpVersion: mlpVersion(), labels });
      if (!flags.output) {
        process.stdout.write(text);
        return;
      }
      writeFileAtomic(flags.output, text);
      if (!isQuiet(command)) process.stdout.write(`Wrote ${flags.output}\n`);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** An image name from a directory name: lowercase, only the characters a repository name allows. */
function defaultName(modelDir: string): string {
  const base = path.basename(path.resolve(modelDir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return base || 'model';
}

/** `-o` must be a layout mlp may rewrite: missing, empty, or already a layout. */
function checkLayoutTarget(dir: string): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new MlpError(`${dir} is a file, not a directory`, { exitCode: ExitCode.usage, hint: 'name a directory for the image layout with -o' });
  if (fs.readdirSync(dir).length === 0 || fs.existsSync(path.join(dir, 'oci-layout'))) return;
  throw new MlpError(`${dir} holds files and is not an image layout: mlp would not write into it`, { exitCode: ExitCode.usage, hint: 'name a new or empty directory with -o' });
}
