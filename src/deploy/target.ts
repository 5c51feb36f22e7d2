/**
 * Deploy targets: a name under `deploy:` in `.mlp/config.yaml` (overlaid by config.local.yaml),
 * or an SSH URL given on the command line. A target is an SSH host reached with the SSH remote's
 * rules (src/remote/ssh.ts: the host key checked against known_hosts, never trusted silently; the
 * agent, a key file or a password from the environment) plus how the model runs there.
 */
import { ExitCode, MlpError } from '../errors.js';
import type { Config } from '../repo/config.js';
import { parseRemoteUrl, type RemoteSpec, type SshLocation } from '../remote/remote-config.js';
import { DEPLOY_SSH_OPTIONS } from '../schema/remote-options.js';

export interface DeployTarget {
  /** The name in config.yaml, or the URL when given as one. */
  name: string;
  url: string;
  location: SshLocation;
  /** The SSH connection, as the SSH backend takes it. */
  ssh: RemoteSpec;
  httpHost: string;
  httpPort: number;
  keep: number;
  /** The command line that runs mlp on the host. */
  mlp: string;
  healthTimeoutSeconds: number;
  workers: number;
  model?: string;
  image?: string;
}

/** What the command line may set over a target's configuration. */
export interface TargetOverrides {
  keep?: number;
  httpHost?: string;
  httpPort?: number;
  mlp?: string;
  healthTimeoutSeconds?: number;
  keyFile?: string;
  knownHosts?: string;
}

export const DEFAULTS = { httpHost: '127.0.0.1', httpPort: 8080, keep: 3, mlp: 'mlp', healthTimeoutSeconds: 60, workers: 1 } as const;

const usage = (message: string, hint: string): MlpError => new MlpError(message, { hint, exitCode: ExitCode.usage });

export function resolveDeployTarget(config: Config, repoRoot: string, target: string, overrides: TargetOverrides = {}): DeployTarget {
  const targets = config.deploy ?? {};
  let name = target;
  let options: Record<string, unknown>;
  if (target.includes('://')) {
    options = { url: target };
  } else {
    const configured = targets[target];
    if (!configured) {
      const names = Object.keys(targets).sort();
      throw usage(
        `deploy target '${target}' is not configured`,
        names.length > 0 ? `configured targets: ${names.join(', ')}; or give an SSH URL (ssh://user@host/path)` : 'add it under `deploy:` in .mlp/config.yaml (see "Deploying a model" in the README), or give an SSH URL (ssh://user@host/path)',
      );
    }
    options = { ...configured };
    if (typeof options.url !== 'string') throw usage(`deploy target '${target}' has no url`, `set deploy.${target}.url in .mlp/config.yaml, e.g. ssh://deploy@model-host/srv/mlp/${target}`);
    name = target;
  }
  const url = options.url as string;
  if (!url.startsWith('ssh://')) throw usage(`deploy target '${target}' is not an SSH URL: ${url}`, 'write it as ssh://[user@]host[:port]/absolute/path (the directory mlp keeps the versions in)');
  const location = parseRemoteUrl(url, repoRoot) as SshLocation;
  if (!location.path.startsWith('/')) throw usage(`the deploy directory in ${url} must be an absolute path`, 'write it as ssh://[user@]host[:port]/absolute/path');
  if (overrides.keyFile !== undefined) options.key_file = overrides.keyFile;
  if (overrides.knownHosts !== undefined) options.known_hosts = overrides.knownHosts;
  const sshOptions = Object.fromEntries(Object.entries(options).filter(([k]) => DEPLOY_SSH_OPTIONS.includes(k)));
  const configured = name !== url;
  const ssh: RemoteSpec = {
    name,
    url,
    location,
    options: sshOptions,
    what: configured ? `deploy target '${name}'` : 'mlp deploy',
    settingCommand: (option, placeholder) =>
      configured ? `deploy.${name}.${option}: ${placeholder} in .mlp/config.local.yaml` : `--${option.replace(/_/g, '-')} ${placeholder}`,
  };
  const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  return {
    name,
    url,
    location,
    ssh,
    httpHost: overrides.httpHost ?? str(options.http_host) ?? DEFAULTS.httpHost,
    httpPort: overrides.httpPort ?? num(options.http_port) ?? DEFAULTS.httpPort,
    keep: overrides.keep ?? num(options.keep) ?? DEFAULTS.keep,
    mlp: overrides.mlp ?? str(options.mlp) ?? DEFAULTS.mlp,
    healthTimeoutSeconds: overrides.healthTimeoutSeconds ?? num(options.health_timeout) ?? DEFAULTS.healthTimeoutSeconds,
    workers: num(options.workers) ?? DEFAULTS.workers,
    ...(str(options.model) !== undefined ? { model: str(options.model) } : {}),
    ...(str(options.image) !== undefined ? { image: str(options.image) } : {}),
  };
}
