/**
 * `mlp remote verify`: downloads and hashes every object the workspace records (or the targets'
 * objects, or with `allCommits` those of every git commit too) on a remote, and reports those that are damaged or missing there. With `repair`, a
 * good local copy is uploaded over a bad or missing remote object (uploads replace atomically);
 * a damaged remote object with no good copy here is deleted, so that nobody pulls it and a later
 * push from a machine that has the data sends it again. Directory manifests are checked after
 * their files, and one is uploaded again only once all its files are good on the remote (a
 * manifest on a remote promises its files). Core only: no printing.
 */
import fs from 'node:fs';
import { MlpError } from '../errors.js';
import type { HashInfo, ManifestEntry } from '../hash/hash-path.js';
import type { Repo } from '../repo/repo.js';
import { parseManifest } from '../schema/manifest.js';
import type { Sha256 } from '../schema/sha256.js';
import { recordedPaths } from '../data/checkout-workspace.js';
import { CacheObjectDb } from '../cache/cache-odb.js';
import { isReadProblem } from '../objects/object-db.js';
import { newProgress, pool, type TransferProgress } from '../objects/transfer.js';
import { objectKey, type RemoteBackend } from './backend.js';
import { RemoteObjectDb } from './remote-odb.js';

export interface RemoteObjectProblem {
  hash: Sha256;
  /** The workspace path that records it. */
  path: string;
  state: 'corrupted' | 'missing';
  /** With repair: uploaded a good local copy, deleted the bad object (no good copy here), or nothing could be done. */
  repair?: 'uploaded' | 'deleted' | 'not-repaired';
}

export interface VerifySummary {
  remote: string;
  checked: number;
  good: number;
  corrupted: number;
  missing: number;
  repaired: number;
  deleted: number;
  problems: RemoteObjectProblem[];
  seconds: number;
}

export interface VerifyOptions {
  /** Also every object recorded at any git commit (not only the workspace's). */
  allCommits?: boolean;
  jobs?: number;
  repair?: boolean;
  signal?: AbortSignal;
  progress?: TransferProgress;
}

interface Checked {
  hash: Sha256;
  size: number | undefined;
  path: string;
  manifest: boolean;
}

type RemoteState = 'good' | 'corrupted' | 'missing';

export async function verifyRemote(repo: Repo, backend: RemoteBackend, targets: readonly string[], options: VerifyOptions = {}): Promise<VerifySummary> {
  const started = performance.now();
  const jobs = options.jobs ?? backend.defaultJobs;
  const progress = options.progress ?? newProgress();
  const files = new Map<string, Checked>();
  const manifests = new Map<string, Checked>();
  const manifestEntries = new Map<string, ManifestEntry[]>();
  const states = new Map<string, RemoteState>();

  const remote = new RemoteObjectDb(backend);
  // Downloaded like a fetch (verified against the name on the way), into a temp file that is
  // always removed: verifying never stores anything.
  const fetchState = async (o: Checked, keep?: (data: Buffer) => void): Promise<RemoteState> => {
    const into = repo.objects.tempPath();
    try {
      const got = await remote.read(o.hash, { into, size: o.size, signal: options.signal, progress: (n) => (progress.bytes += n) });
      if (isReadProblem(got)) return got.problem === 'missing' ? 'missing' : 'corrupted';
      keep?.(fs.readFileSync(into));
      return 'good';
    } finally {
      fs.rmSync(into, { force: true });
      progress.files++;
    }
  };

  progress.phase = 'collecting';
  const wanted: { path: string; info: HashInfo }[] = recordedPaths(repo, targets);
  if (options.allCommits) {
    const { collectReferences } = await import('../cache/gc.js');
    const { refs } = collectReferences(repo, { workspace: true, allBranches: false, allTags: false, allCommits: true, revs: [] });
    const seen = new Set(wanted.map((w) => w.info.hash));
    for (const info of refs) {
      if (seen.has(info.hash)) continue;
      seen.add(info.hash);
      wanted.push({ path: `(in a commit) ${info.hash.slice(0, 12)}`, info });
    }
  }
  // Manifests first: a directory's files are known from the local manifest, or from the
  // remote's once it is verified.
  for (const { path: rel, info } of wanted) {
    if (info.nfiles !== undefined) manifests.set(info.hash, { hash: info.hash, size: undefined, path: rel, manifest: true });
  }
  progress.phase = 'transferring';
  progress.totalFiles = manifests.size;
  await pool([...manifests.values()], jobs, options.signal, async (m) => {
    let local: ManifestEntry[] | undefined;
    if (repo.objects.has(m.hash)) {
      try {
        local = repo.objects.readManifest(m.hash);
      } catch (error) {
        if (!(error instanceof MlpError)) throw error; // a damaged local copy was removed: use the remote's
      }
    }
    // A remote's manifest is read through the schema like any other: its paths and hashes are checked.
    const state = await fetchState(m, local ? undefined : (data) => manifestEntries.set(m.hash, parseManifest(data.toString('utf8'), `${backend.label}/${objectKey(m.hash)}`)));
    states.set(m.hash, state);
    if (local) manifestEntries.set(m.hash, local);
  });
  for (const { path: rel, info } of wanted) {
    if (info.nfiles === undefined) {
      if (!files.has(info.hash)) files.set(info.hash, { hash: info.hash, size: info.size, path: rel, manifest: false });
      continue;
    }
    for (const e of manifestEntries.get(info.hash) ?? []) {
      if (!files.has(e.hash)) files.set(e.hash, { hash: e.hash, size: e.size, path: `${rel}/${e.path}`, manifest: false });
    }
  }
  const fileList = [...files.values()].filter((f) => !manifests.has(f.hash));
  progress.totalFiles += fileList.length;
  progress.totalBytes = fileList.reduce((n, f) => n + (f.size ?? 0), 0);
  await pool(fileList, jobs, options.signal, async (f) => {
    states.set(f.hash, await fetchState(f));
  });

  const problems: RemoteObjectProblem[] = [];
  for (const o of [...fileList, ...manifests.values()]) {
    const state = states.get(o.hash);
    if (state && state !== 'good') problems.push({ hash: o.hash, path: o.path, state });
  }
  if (options.repair) await repair(new CacheObjectDb(repo.objects), remote, problems, manifests, manifestEntries, jobs, options.signal);
  progress.phase = 'done';
  const count = (s: RemoteObjectProblem['state']): number => problems.filter((p) => p.state === s).length;
  return {
    remote: backend.label,
    checked: fileList.length + manifests.size,
    good: [...states.values()].filter((s) => s === 'good').length,
    corrupted: count('corrupted'),
    missing: count('missing'),
    repaired: problems.filter((p) => p.repair === 'uploaded').length,
    deleted: problems.filter((p) => p.repair === 'deleted').length,
    problems,
    seconds: (performance.now() - started) / 1000,
  };
}

async function repair(
  cache: CacheObjectDb,
  remote: RemoteObjectDb,
  problems: RemoteObjectProblem[],
  manifests: Map<string, Checked>,
  entries: Map<string, ManifestEntry[]>,
  jobs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const fix = async (p: RemoteObjectProblem, size: number | undefined, mayUpload: boolean): Promise<void> => {
    const source = mayUpload ? await cache.read(p.hash, { size, signal }) : undefined;
    if (source !== undefined && !isReadProblem(source)) {
      await remote.write(p.hash, source);
      p.repair = 'uploaded';
    } else if (p.state === 'corrupted') {
      await remote.remove(p.hash);
      p.repair = 'deleted';
    } else {
      p.repair = 'not-repaired';
    }
  };
  const fileProblems = problems.filter((p) => !manifests.has(p.hash));
  await pool(fileProblems, jobs, signal, (p) => fix(p, undefined, true));
  const stillBad = new Set(fileProblems.filter((p) => p.repair !== 'uploaded').map((p) => p.hash));
  // A manifest goes up again only when every file it lists is good on the remote.
  await pool(
    problems.filter((p) => manifests.has(p.hash)),
    jobs,
    signal,
    (p) => fix(p, undefined, (entries.get(p.hash) ?? []).every((e) => !stillBad.has(e.hash)) && entries.has(p.hash)),
  );
}
