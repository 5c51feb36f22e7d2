/**
 * Registry credentials, looked up in this order:
 *
 * 1. `MLP_REGISTRY_TOKEN`: a bearer token sent as is (a CI token that needs no exchange);
 * 2. `MLP_REGISTRY_USERNAME` and `MLP_REGISTRY_PASSWORD`: basic credentials, sent to a registry
 *    that asks for basic auth or to its token service;
 * 3. docker's `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), the
 *    `auths` entry of the registry (keys as `docker login` writes them: `host`, `https://host`,
 *    and `https://index.docker.io/v1/` for Docker Hub) — `auth` (base64 user:password) or
 *    `username`/`password`. Credential helpers (`credsStore`, `credHelpers`) are not run.
 *
 * Secrets never reach messages or logs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlpError } from '../errors.js';

export type Credentials = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

export function findCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  if (env.MLP_REGISTRY_TOKEN) return { kind: 'bearer', token: env.MLP_REGISTRY_TOKEN };
  if (env.MLP_REGISTRY_USERNAME && env.MLP_REGISTRY_PASSWORD !== undefined) {
    return { kind: 'basic', username: env.MLP_REGISTRY_USERNAME, password: env.MLP_REGISTRY_PASSWORD };
  }
  return fromDockerConfig(registry, env);
}

function dockerConfigFile(env: NodeJS.ProcessEnv): string {
  return path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker'), 'config.json');
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
}

function fromDockerConfig(registry: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  const file = dockerConfigFile(env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch (error) {
    throw new MlpError(`${file}: not valid JSON (${(error as Error).message})`, { hint: 'fix the file, or log in again with `docker login`' });
  }
  const keys = registry === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'] : [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
  for (const key of keys) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) throw new MlpError(`${file}: the auth of ${key} is not base64 of user:password`, { hint: 'log in again with `docker login`' });
      return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password !== undefined) return { kind: 'basic', username: entry.username, password: entry.password };
  }
  return undefined;
}
