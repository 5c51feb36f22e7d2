/**
 * `mlp deploy <target>`, `mlp deploy status|rollback|stop <target>`: parse → src/deploy → render
 * (src/ui/deploy.ts). `mlp deploy-host` is the other end, run by `mlp deploy` over SSH on the
 * target host (hidden: people do not type it).
 */
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import type { DeployTarget, TargetOverrides } from '../deploy/target.js';
import { print, printJson } from './context.js';
import { parsePositiveInt } from './options.js';

interface TargetFlags {
  json?: boolean;
  keyFile?: string;
  knownHosts?: string;
  mlp?: string;
  healthTimeout?: number;
}

interface DeployFlags extends TargetFlags {
  model?: string;
  image?: string;
  keep?: number;
  httpHost?: string;
  httpPort?: number;
}

/** Options every subcommand takes: how to reach the host. */
function connectionOptions(command: Command): Command {
  return command
    .option('--key-file <file>', 'SSH private key (default: the ssh-agent, then ~/.ssh/id_*)')
    .option('--known-hosts <file>', 'known_hosts file to check the host key against (default: ~/.ssh/known_hosts)')
    .option('--mlp <command>', 'the command that runs mlp on the host (default: mlp)')
    .option('--health-timeout <seconds>', 'how long a version has to answer /ready and /health (default: 60)', parsePositiveInt)
    .option('--json', 'print the result as JSON');
}

export function registerDeployCommands(program: Command): void {
  const deploy = program
    .command('deploy')
    .description('roll a model out to a host over SSH, with health checks and rollback')
    .usage('<target> [--model <dir> | --image <ref|tar>] [options]\n       mlp deploy status|rollback|stop <target>');

  const to = connectionOptions(
    deploy
      .command('to', { isDefault: true, hidden: true })
      .argument('<target>', 'a target under `deploy:` in .mlp/config.yaml, or ssh://[user@]host[:port]/dir')
      .option('--model <dir>', 'the model directory to serve with `mlp serve` on the host (process mode)')
      .option('--image <ref>', 'an image (registry reference, or a tar from `mlp image save`) to run with docker or podman on the host')
      .option('--keep <n>', 'versions kept on the host, the live one included (default: 3)', parsePositiveInt)
      .option('--http-host <address>', 'address the model listens on, on the host (default: 127.0.0.1)')
      .addOption(new Option('--http-port <n>', 'port the model listens on, on the host (default: 8080)').argParser(parsePositiveInt)),
  );
  to.action(async (name: string, flags: DeployFlags) => {
    if (flags.model !== undefined && flags.image !== undefined) throw new MlpError('--model and --image cannot go together', { hint: 'give the model directory (process mode) or an image (container mode)', exitCode: ExitCode.usage });
    const { target, root } = await openTarget(name, flags);
    const image = flags.image ?? (flags.model === undefined ? target.image : undefined);
    const model = flags.model ?? (image === undefined ? target.model : undefined);
    const { plural } = await import('../ui/plural.js');
    if (image !== undefined) {
      const { deployImage } = await import('../deploy/container.js');
      const { formatBytes } = await import('../ui/render.js');
      const result = await deployImage(target, image, root, { sending: (bytes) => !flags.json && print(`Sending the image archive (${formatBytes(bytes)}) to ${target.location.host}`) });
      if (flags.json) printJson(result);
      else print(`Deployed ${result.image} to ${target.name} with ${result.runtime} as container ${result.container}: healthy (${plural(result.waited_s, 'second')})`);
      return;
    }
    if (model === undefined) {
      throw new MlpError(`nothing to deploy to ${target.name}: give --model <dir> or --image <ref>`, { hint: `or set deploy.${target.name}.model in .mlp/config.yaml`, exitCode: ExitCode.usage });
    }
    const { deployModel } = await import('../deploy/deploy.js');
    const ui = await import('../ui/deploy.js');
    const result = await deployModel(target, model, root, {
      sending: (files, bytes, total) => {
        if (!flags.json) print(ui.renderSending(files, bytes, total, target.location.host));
      },
    });
    if (flags.json) printJson(result);
    if (result.outcome === 'deployed' || result.outcome === 'unchanged') {
      if (!flags.json) process.stdout.write(ui.renderDeployed(result));
      return;
    }
    const failure = ui.deployFailure(result, 'deploy');
    throw new MlpError(failure.message, { hint: failure.hint });
  });

  // The default subcommand is hidden (it has no name users type): its options go under deploy's own help.
  deploy.addHelpText('after', () => `\nOptions of mlp deploy <target>:\n${to.options.map((o) => `  ${o.flags.padEnd(28)} ${o.description}`).join('\n')}\n`);

  connectionOptions(deploy.command('status').description('versions on the host, which one is live, its pid and health').argument('<target>', 'a deploy target or an SSH URL')).action(
    async (name: string, flags: TargetFlags) => {
      const { target, root } = await openTarget(name, flags);
      const { deployStatus } = await import('../deploy/deploy.js');
      const status = await deployStatus(target, root);
      if (flags.json) printJson(status);
      else if (status.mode === 'container') process.stdout.write(`${status.target}: ${status.host} (containers)\n${status.containers}`);
      else process.stdout.write((await import('../ui/deploy.js')).renderStatus({ ...status.status, target: status.target, host: status.host }));
    },
  );

  connectionOptions(deploy.command('rollback').description('switch back to the version deployed before the live one').argument('<target>', 'a deploy target or an SSH URL')).action(
    async (name: string, flags: TargetFlags) => {
      const { target, root } = await openTarget(name, flags);
      const { deployRollback } = await import('../deploy/deploy.js');
      const ui = await import('../ui/deploy.js');
      const rolled = await deployRollback(target, root);
      if (flags.json) printJson(rolled);
      if (rolled.mode === 'container') {
        if (!flags.json) print(`Rolled ${rolled.target} back: the previous container runs as ${rolled.container}`);
        return;
      }
      const result = { ...rolled.result, target: rolled.target };
      if (result.outcome === 'deployed') {
        if (!flags.json) process.stdout.write(ui.renderRolledBackTo(result));
        return;
      }
      const failure = ui.deployFailure(result, 'rollback');
      throw new MlpError(failure.message, { hint: failure.hint });
    },
  );

  connectionOptions(deploy.command('stop').description('stop the model on the host (its versions stay)').argument('<target>', 'a deploy target or an SSH URL')).action(
    async (name: string, flags: TargetFlags) => {
      const { target, root } = await openTarget(name, flags);
      const { deployStop } = await import('../deploy/deploy.js');
      const result = await deployStop(target, root);
      if (flags.json) printJson(result);
      else print(result.stopped ? `Stopped ${target.name}` : `${target.name} was not running`);
    },
  );

  program
    .command('deploy-host', { hidden: true })
    .description('the host side of `mlp deploy` (run by it over SSH)')
    .argument('<operation>', 'activate, status, rollback, stop or supervise')
    .argument('<dir>', 'the deploy directory')
    .action(async (operation: string, dir: string) => {
      process.exitCode = await deployHost(operation, dir);
    });
}

/** The target (named in the configuration or an SSH URL) with the command line's overrides, and the repository root paths are relative to. */
async function openTarget(name: string, flags: DeployFlags): Promise<{ target: DeployTarget; root: string }> {
  const { resolveDeployTarget } = await import('../deploy/target.js');
  const overrides: TargetOverrides = {
    ...(flags.keep !== undefined ? { keep: flags.keep } : {}),
    ...(flags.httpHost !== undefined ? { httpHost: flags.httpHost } : {}),
    ...(flags.httpPort !== undefined ? { httpPort: flags.httpPort } : {}),
    ...(flags.mlp !== undefined ? { mlp: flags.mlp } : {}),
    ...(flags.healthTimeout !== undefined ? { healthTimeoutSeconds: flags.healthTimeout } : {}),
    ...(flags.keyFile !== undefined ? { keyFile: flags.keyFile } : {}),
    ...(flags.knownHosts !== undefined ? { knownHosts: flags.knownHosts } : {}),
  };
  // A named target needs the repository's configuration; an SSH URL works anywhere.
  const { Repo } = await import('../repo/repo.js');
  let repo;
  try {
    repo = Repo.find();
  } catch (error) {
    if (!name.includes('://')) throw error;
    return { target: resolveDeployTarget({}, process.cwd(), name, overrides), root: process.cwd() };
  }
  try {
    return { target: resolveDeployTarget(repo.config, repo.root, name, overrides), root: repo.root };
  } finally {
    repo.close();
  }
}

/** `mlp deploy-host`: the request on stdin, one JSON line on stdout (src/deploy/protocol.ts). */
async function deployHost(operation: string, dir: string): Promise<number> {
  const { DEPLOY_PROTOCOL } = await import('../deploy/protocol.js');
  const script = process.argv[1] ?? '';
  if (operation === 'supervise') {
    const { supervise } = await import('../deploy/supervisor.js');
    await supervise(dir, script, (line) => process.stderr.write(`${line}\n`));
    return 0;
  }
  const reply = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
  try {
    const request = JSON.parse(fs.readFileSync(0, 'utf8') || '{}') as { protocol?: unknown };
    if (request.protocol !== DEPLOY_PROTOCOL) {
      throw new MlpError(`mlp deploy sent deploy protocol ${String(request.protocol)}, this mlp speaks ${DEPLOY_PROTOCOL}`, { hint: 'install the same mlp release on both sides' });
    }
    const { HostDeployment } = await import('../deploy/host.js');
    const host = new HostDeployment(dir, script);
    let result: unknown;
    if (operation === 'activate') result = await host.activate(request as never);
    else if (operation === 'rollback') result = await host.rollback(request as never);
    else if (operation === 'status') result = await host.status();
    else if (operation === 'stop') result = await host.stop();
    else throw new MlpError(`unknown deploy-host operation '${operation}'`, { exitCode: ExitCode.usage });
    reply({ protocol: DEPLOY_PROTOCOL, ok: true, result });
    return 0;
  } catch (thrown) {
    const { fileSystemError } = await import('../errors.js');
    const error = fileSystemError(thrown) ?? thrown;
    const known = error instanceof MlpError;
    const message = known ? error.message : (error as Error).message ?? String(error);
    reply({ protocol: DEPLOY_PROTOCOL, ok: false, error: { message, ...(known && error.hint ? { hint: error.hint } : {}), exit_code: known ? error.exitCode : ExitCode.failure } });
    return known ? error.exitCode : ExitCode.failure;
  }
}
