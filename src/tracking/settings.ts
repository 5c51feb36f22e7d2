/**
 * Where runs go and with which credentials: `tracking:` in .mlp/config.yaml (backend, uri,
 * experiment, entity, required, timeout, exclude), the environment the MLflow and W&B clients
 * read (it wins, so CI can point a checkout elsewhere), and credentials from the environment or
 * config.local.yaml only (src/schema/config.ts refuses them in config.yaml). The clients
 * themselves load only when a run is sent (`openTracker`): `repro` reads these settings on every
 * run, tracked or not, and a command that sends nothing does not load them.
 */
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { parseSize } from '../pipeline/resources.js';
import { globToRegExp } from '../pipeline/targets.js';
import type { Config } from '../repo/config.js';
import { TRACKING_BACKENDS, type TrackingBackendName } from '../schema/config.js';
import { redact } from './http.js';
import type { RunDestination } from './run-record.js';
import type { Tracker } from './tracker.js';

export const WANDB_DEFAULT_URL = 'https://api.wandb.ai';
const DEFAULT_TIMEOUT_S = 10;

export interface TrackingSettings {
  backend: TrackingBackendName;
  /** Undefined for `none`. */
  destination: RunDestination | undefined;
  required: boolean;
  timeoutMs: number;
  /** Outputs up to this many bytes are uploaded as artifacts (`tracking.artifacts`); 0: references only. */
  artifactLimit: number;
  /** Whether a stage is tracked (`tracking.exclude`). */
  tracks(stage: string): boolean;
}

export function parseBackend(name: string): TrackingBackendName {
  if ((TRACKING_BACKENDS as readonly string[]).includes(name)) return name as TrackingBackendName;
  throw new MlpError(`unknown tracking backend '${name}'`, { hint: `use one of ${TRACKING_BACKENDS.join(', ')}`, exitCode: ExitCode.usage });
}

/** The settings for this command: `override` is `--track <backend>`. */
export function trackingSettings(root: string, config: Config, env: NodeJS.ProcessEnv, override?: TrackingBackendName): TrackingSettings {
  const t = config.tracking ?? {};
  const backend = override ?? t.backend ?? 'none';
  const patterns = (t.exclude ?? []).map(globToRegExp);
  const base = {
    backend,
    required: t.required === true,
    timeoutMs: (t.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
    artifactLimit: t.artifacts === undefined ? 0 : (parseSize(t.artifacts) ?? 0),
    tracks: (stage: string) => !patterns.some((p) => p.test(stage)),
  };
  const project = path.basename(root);
  switch (backend) {
    case 'none':
      return { ...base, destination: undefined };
    case 'mlflow': {
      const uri = env.MLFLOW_TRACKING_URI || t.uri;
      if (!uri) {
        throw new MlpError('MLflow tracking needs the server: no tracking.uri and no MLFLOW_TRACKING_URI', {
          hint: 'set it with `mlp config tracking.uri http://host:5000`, or export MLFLOW_TRACKING_URI',
          exitCode: ExitCode.usage,
        });
      }
      checkHttp(uri, 'MLflow tracking URI');
      return { ...base, destination: { backend, uri: redact(uri), experiment: t.experiment || env.MLFLOW_EXPERIMENT_NAME || project } };
    }
    case 'wandb': {
      const uri = env.WANDB_BASE_URL || t.uri || WANDB_DEFAULT_URL;
      checkHttp(uri, 'W&B base URL');
      return { ...base, destination: { backend, uri: redact(uri), experiment: env.WANDB_PROJECT || t.experiment || project, entity: env.WANDB_ENTITY || t.entity } };
    }
  }
}

function checkHttp(uri: string, what: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(uri).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new MlpError(`the ${what} '${redact(uri)}' is not an http(s) URL`, {
      hint: 'mlp talks to tracking servers over their REST API: give the server address, e.g. http://127.0.0.1:5000',
      exitCode: ExitCode.usage,
    });
  }
}

/**
 * The client for `destination`, with credentials from the environment or config.local.yaml (and
 * user:password written in the URI, which is never stored).
 */
export async function openTracker(destination: RunDestination, config: Config, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Tracker> {
  const t = config.tracking ?? {};
  const http = { timeoutMs, retries: 2, backoffMs: 200 };
  if (destination.backend === 'mlflow') {
    const fromUri = userInfo(env.MLFLOW_TRACKING_URI || t.uri);
    const { MlflowTracker } = await import('./mlflow.js');
    return new MlflowTracker(destination.uri, {
      token: env.MLFLOW_TRACKING_TOKEN || t.token,
      username: env.MLFLOW_TRACKING_USERNAME || t.username || fromUri?.username,
      password: env.MLFLOW_TRACKING_PASSWORD || t.password || fromUri?.password,
    }, http);
  }
  const { WandbTracker } = await import('./wandb.js');
  return new WandbTracker(destination.uri, env.WANDB_API_KEY || t.api_key, http);
}

function userInfo(uri: string | undefined): { username: string; password: string } | undefined {
  if (!uri) return undefined;
  try {
    const parsed = new URL(uri);
    return parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
  } catch {
    return undefined;
  }
}
