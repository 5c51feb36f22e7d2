/**
 * The options a remote takes, by kind, and which of them are secrets. A leaf module (no
 * imports): the command-line help lists them without loading the config schema.
 */
export type RemoteKind = 'local' | 'ssh' | 's3';

/** Options each kind accepts; `url` and `jobs` go with every kind. */
export const REMOTE_OPTIONS: Record<RemoteKind, readonly string[]> = {
  local: ['url', 'jobs'],
  ssh: ['url', 'jobs', 'user', 'port', 'key_file', 'known_hosts', 'password', 'password_env', 'timeout'],
  s3: ['url', 'jobs', 'endpoint_url', 'region', 'profile', 'path_style', 'checksum', 'part_size', 'access_key_id', 'secret_access_key', 'session_token'],
};

/** Options that may only be written to config.local.yaml (never committed). */
export const SECRET_OPTIONS: ReadonlySet<string> = new Set(['password', 'access_key_id', 'secret_access_key', 'session_token']);

/** `url, jobs; ssh: user, …, password (secret), …; s3: …`: every option, for `mlp remote modify --help`. */
export function describeRemoteOptions(): string {
  const name = (o: string): string => (SECRET_OPTIONS.has(o) ? `${o} (secret: --local only)` : o);
  const common = REMOTE_OPTIONS.local;
  const own = (kind: RemoteKind): string => REMOTE_OPTIONS[kind].filter((o) => !common.includes(o)).map(name).join(', ');
  return `${common.join(', ')}; ssh: ${own('ssh')}; s3: ${own('s3')}`;
}

/**
 * Options of a deploy target (`deploy.<name>` in config.yaml): how to reach the host (the SSH
 * remote's options: the same host-key and login rules) and how to run the model there.
 */
export const DEPLOY_SSH_OPTIONS: readonly string[] = REMOTE_OPTIONS.ssh.filter((o) => o !== 'jobs');
export const DEPLOY_OPTIONS: readonly string[] = [...DEPLOY_SSH_OPTIONS, 'http_host', 'http_port', 'keep', 'mlp', 'health_timeout', 'model', 'image', 'workers'];
