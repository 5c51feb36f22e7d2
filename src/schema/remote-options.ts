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
