/**
 * Which remote each recorded path goes to, as DVC decides it (dvc/repo/fetch.py `outs_filter`,
 * dvc/repo/index.py `_load_storage_from_out`): an output or pointer that names a remote
 * (`remote:`) uses that remote; the others use `-r` or the default. With `-r NAME`, paths that
 * name another remote are left out of the command (DVC skips them too), so `-r` never sends data
 * where its owner did not want it.
 */
import { MlpError } from '../errors.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import type { Repo } from '../repo/repo.js';
import { resolveRemote, type RemoteSpec } from './remote-config.js';

export interface RemoteRoute {
  spec: RemoteSpec;
  wanted: RecordedPath[];
}

/**
 * The remotes to use for `wanted` and what goes to each; the default (or `-r`) remote first.
 * The default remote is resolved only when something uses it, so data that all names its own
 * remote needs no default; with nothing recorded at all, the default (or `-r`) is still resolved,
 * so that a missing remote is reported as before.
 */
export function routeToRemotes(repo: Repo, wanted: readonly RecordedPath[], explicit: string | undefined): RemoteRoute[] {
  const byName = new Map<string | undefined, RecordedPath[]>();
  for (const w of wanted) {
    if (explicit !== undefined && w.remote !== undefined && w.remote !== explicit) continue;
    const key = explicit ?? w.remote;
    const list = byName.get(key);
    if (list) list.push(w);
    else byName.set(key, [w]);
  }
  if (byName.size === 0) byName.set(explicit, []);
  // The default (or `-r`) remote first, then the others by name. (`sort` would put undefined last.)
  const named = [...byName.keys()].filter((k): k is string => k !== undefined && k !== explicit).sort();
  const keys = [...(byName.has(explicit) ? [explicit] : []), ...named];
  return keys.map((name) => {
    const paths = byName.get(name) ?? [];
    try {
      return { spec: resolveRemote(repo.config, repo.root, name), wanted: paths };
    } catch (error) {
      const first = paths[0];
      if (name === undefined || first === undefined || !(error instanceof MlpError)) throw error;
      // Say which output asked for it: the remote name came from pipeline.yaml or a pointer file.
      throw new MlpError(`${first.path} (${first.source}) names the remote '${name}': ${error.message}`, {
        hint: `${error.hint ?? ''}${error.hint ? '; ' : ''}add it with \`mlp remote add ${name} <url>\`, or change \`remote:\` of the output`,
        exitCode: error.exitCode,
      });
    }
  });
}
