/**
 * A repository: its root (the directory holding `.mlp/`), configuration, cache, state cache,
 * lockfile and pipeline, each loaded on first use so cheap commands stay cheap.
 */
import type { ClusterJobTracker } from '../executors/executor.js';
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { CacheCheckout } from '../cache/checkout.js';
import { ObjectStore } from '../cache/object-store.js';
import { PlacedRecord } from '../cache/placed-record.js';
import { RunCache } from '../cache/run-cache.js';
import { runGit } from '../git/git.js';
import { GitIgnorer } from '../git/gitignore.js';
import { PathHasher } from '../hash/hash-path.js';
import { MlpIgnore } from '../hash/mlpignore.js';
import { StateCache, objectOfKey } from '../hash/state-cache.js';
import { LOCK_JOURNAL } from '../lock/lock-journal.js';
import { Lockfile } from '../lock/lockfile.js';
import { readPointer, type Pointer } from '../pointer/pointer-file.js';
import { ParamsReader } from '../params/params-file.js';
import { workspacePipelineFiles } from '../git/pipeline-files.js';
import { loadPipelines } from '../pipeline/pipelines.js';
import { DEFAULT_PARSING } from '../pipeline/template.js';
import { POINTER_SUFFIX } from '../pipeline/schema.js';
import type { Pipeline } from '../pipeline/types.js';
import { CONFIG_FILE, linkTypes, loadConfig, type Config } from './config.js';
import type { ProcessGroupTracker } from '../repro/stage-runner.js';
import { RepoLock } from './repo-lock.js';
import { isRepoPath, normalizeRepoPath, type RepoPath } from '../schema/repo-path.js';
import { isSha256 } from '../schema/sha256.js';
import { ParseCache } from '../util/parse-cache.js';
import { mlpVersion } from '../version.js';

export const MLP_DIR = '.mlp';

/** The root of the repository containing `cwd` (the nearest directory upwards with `.mlp/`), if any. */
export function findRoot(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, MLP_DIR))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Whether `cwd` or a directory above it holds a DVC project (`.dvc/`, or dvc.yaml). */
function dvcProjectAround(cwd: string): boolean {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.dvc')) || fs.existsSync(path.join(dir, 'dvc.yaml'))) return true;
    if (path.dirname(dir) === dir) return false;
  }
}

export class Repo {
  readonly mlpDir: string;
  readonly tmpDir: string;
  readonly cacheDir: string;
  private cached: {
    config?: Config;
    hashState?: StateCache;
    hasher?: PathHasher;
    objects?: ObjectStore;
    runCache?: RunCache;
    workspace?: CacheCheckout;
    placed?: PlacedRecord;
    pipeline?: Pipeline;
    pipelineFiles?: string[];
    lock?: Lockfile;
    params?: ParamsReader;
    gitignore?: GitIgnorer;
    parsedFiles?: ParseCache;
  } = {};
  private repoLock: RepoLock | undefined;

  constructor(readonly root: string) {
    this.mlpDir = path.join(root, MLP_DIR);
    this.tmpDir = path.join(this.mlpDir, 'tmp');
    this.cacheDir = path.join(this.mlpDir, 'cache');
  }

  /** The repository containing `cwd` (the nearest directory upwards with `.mlp/`). */
  static find(cwd = process.cwd()): Repo {
    const root = findRoot(cwd);
    if (root !== undefined) return new Repo(root);
    throw new MlpError(`not an mlp repository: no ${MLP_DIR}/ directory in ${cwd} or above`, {
      hint: dvcProjectAround(cwd)
        ? 'this is a DVC project: convert it with `mlp migrate` (`mlp migrate --dry-run` shows what it would do)'
        : 'run `mlp init` at the root of your project',
    });
  }

  /** Creates `.mlp/` with a default configuration. Returns false if it already existed. */
  static init(dir: string): { repo: Repo; created: boolean } {
    const repo = new Repo(path.resolve(dir));
    const created = !fs.existsSync(repo.mlpDir);
    fs.mkdirSync(repo.mlpDir, { recursive: true });
    const configFile = path.join(repo.mlpDir, CONFIG_FILE);
    if (!fs.existsSync(configFile)) {
      fs.writeFileSync(configFile, '# mlp configuration (committed). Machine-specific settings go in config.local.yaml.\ncache:\n  type: [reflink, copy]\n');
    }
    const ignore = path.join(repo.mlpDir, '.gitignore');
    if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '/cache\n/tmp\n/config.local.yaml\n');
    return { repo, created };
  }

  /** Parsed YAML files and the resolved pipeline, reused across commands while unchanged. */
  get parsedFiles(): ParseCache {
    return (this.cached.parsedFiles ??= ParseCache.load(path.join(this.tmpDir, 'parsed.json'), mlpVersion()));
  }

  get config(): Config {
    return (this.cached.config ??= loadConfig(this.mlpDir, this.parsedFiles));
  }

  /**
   * Loads (and so validates) the configuration now, before a command does anything: settings
   * used deep inside a command, such as `cache.type` when a stage's outputs are stored, would
   * otherwise fail only after a stage ran.
   */
  validateConfig(): void {
    void this.config;
  }

  /** Hashes of workspace files and cache objects by stat signature (`.mlp/tmp/state.json`), so unchanged files are not read again. */
  get hashState(): StateCache {
    return (this.cached.hashState ??= StateCache.load(path.join(this.tmpDir, 'state.json'), (key) => this.stateKeyFile(key)));
  }

  /**
   * The file a state-cache key describes: a cache object, or a workspace file. state.json is a
   * file too: a key that is neither a hash nor a repository path describes nothing (it is pruned).
   */
  private stateKeyFile(key: string): string | undefined {
    const hash = objectOfKey(key);
    if (hash !== undefined) return isSha256(hash) ? this.objects.objectPath(hash) : undefined;
    return isRepoPath(key) ? path.join(this.root, key) : undefined;
  }

  get hasher(): PathHasher {
    return (this.cached.hasher ??= new PathHasher(this.root, this.hashState, new MlpIgnore(this.root)));
  }

  /** The content-addressed object store (`.mlp/cache/files/sha256`). */
  get objects(): ObjectStore {
    return (this.cached.objects ??= new ObjectStore(this.cacheDir, () => this.hashState));
  }

  /** The run-cache entries (`.mlp/cache/runs`): read and written only through this. */
  get runCache(): RunCache {
    return (this.cached.runCache ??= new RunCache(this.cacheDir, this.root));
  }

  /** Between the workspace and the object store: hash and save workspace paths, check cached content out into them. */
  get workspace(): CacheCheckout {
    return (this.cached.workspace ??= new CacheCheckout(this.root, this.objects, linkTypes(this.config), this.hasher, this.placed));
  }

  /** The tracked paths mlp placed in the workspace (`.mlp/tmp/placed.json`): what `checkout` may remove after a branch switch. */
  get placed(): PlacedRecord {
    return (this.cached.placed ??= PlacedRecord.load(path.join(this.tmpDir, 'placed.json')));
  }

  /**
   * Every pipeline file of the workspace (the root `pipeline.yaml` and those in subdirectories),
   * repository-relative, the root one first; see git/pipeline-files.ts for which count.
   */
  get pipelineFiles(): string[] {
    return (this.cached.pipelineFiles ??= workspacePipelineFiles(this.root));
  }

  /** All pipeline files as one pipeline: stages keyed by address, one DAG (pipeline/pipelines.ts). */
  get pipeline(): Pipeline {
    return (this.cached.pipeline ??= loadPipelines(this.root, this.pipelineFiles, this.parsedFiles, undefined, { parsing: { ...DEFAULT_PARSING, ...this.config.parsing } }));
  }

  /** The lock files of every pipeline file (pipeline.lock next to each), as one lock keyed by stage address. */
  get lock(): Lockfile {
    return (this.cached.lock ??= Lockfile.load(this.root, this.parsedFiles, path.join(this.tmpDir, LOCK_JOURNAL), this.pipelineFiles));
  }

  /**
   * Forgets the pipeline, lock and params read so far, after mlp itself rewrote params files
   * (`exp run` between two experiments); what the lock recorded is written out first.
   */
  reloadPipeline(): void {
    this.cached.lock?.flush();
    this.cached.pipeline = undefined;
    this.cached.pipelineFiles = undefined;
    this.cached.lock = undefined;
    this.cached.params = undefined;
  }

  get params(): ParamsReader {
    return (this.cached.params ??= new ParamsReader(this.root, this.parsedFiles));
  }

  get gitignore(): GitIgnorer {
    return (this.cached.gitignore ??= new GitIgnorer(this.root));
  }

  /**
   * The `RepoPath` of a user-given path (relative to `cwd`), through the same constructor as
   * every other repository path. A path outside the repository (or inside .git/.mlp) is a usage
   * error.
   */
  relative(userPath: string, cwd = process.cwd()): RepoPath {
    const rel = this.relativeOrRoot(userPath, cwd);
    if (rel === '.') throw new MlpError(`${userPath} is the repository root itself`, { hint: 'name a file or directory inside it', exitCode: ExitCode.usage });
    return rel;
  }

  /** Like `relative`, but the repository root itself is `.` (a target meaning "everything"). */
  relativeOrRoot(userPath: string, cwd = process.cwd()): RepoPath | '.' {
    const rel = path.relative(this.root, path.resolve(cwd, userPath)).split(path.sep).join('/');
    if (rel === '') return '.';
    const checked = normalizeRepoPath(rel);
    if ('path' in checked) return checked.path;
    throw new MlpError(`${userPath} ${checked.problem === 'is outside the repository' || checked.problem.startsWith('is absolute') ? `is outside the repository ${this.root}` : checked.problem}`, {
      hint: 'name a file or directory inside the repository',
      exitCode: ExitCode.usage,
    });
  }

  /** Every `*.mlp` pointer file in the workspace (git's view when in a git repository). */
  pointers(): Pointer[] {
    return this.pointerFiles().map((file) => readPointer(this.root, file, this.parsedFiles));
  }

  private pointerFiles(): string[] {
    const out = runGit(this.root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', `*${POINTER_SUFFIX}`]);
    if (out.code !== 0) return this.walkPointerFiles();
    const files = out.stdout.toString('utf8').split('\0');
    return [...new Set(files.filter((f) => f !== '' && fs.existsSync(path.join(this.root, f))))].sort();
  }

  private walkPointerFiles(): string[] {
    const found: string[] = [];
    const skip = new Set(['.git', MLP_DIR, 'node_modules']);
    const walk = (dir: string, prefix: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) {
          if (!skip.has(entry.name)) walk(path.join(dir, entry.name), prefix + entry.name + '/');
        } else if (entry.name.endsWith(POINTER_SUFFIX) && entry.name !== POINTER_SUFFIX) {
          found.push(prefix + entry.name);
        }
      }
    };
    walk(this.root, '');
    return found.sort();
  }

  acquireLock(command: string, warn: (message: string) => void): void {
    let tookOver = false;
    this.repoLock = RepoLock.acquire(this.tmpDir, command, (message) => {
      tookOver = true;
      warn(message);
    });
    // A command killed mid-write leaves temp files in the cache. The object store sweeps them
    // before its own first write, but a command that writes no object (everything was already
    // recorded) would leave them for gc: after a takeover, sweep now.
    if (tookOver) this.objects.sweepTemps();
  }

  /**
   * Where stage runners record the process groups they start (in the lock, so that the next
   * mlp can stop them if this one is killed); undefined without the lock.
   */
  get stageGroups(): ProcessGroupTracker | undefined {
    return this.repoLock;
  }

  /** Where cluster executors record the jobs they submit (the repository lock); undefined without it. */
  get clusterJobs(): (ClusterJobTracker & { readonly path: string }) | undefined {
    return this.repoLock;
  }

  /**
   * Folds the lock journal into pipeline.lock, persists the state and parse caches, and releases
   * the repository lock. Only a writer folds — the holder of the repository lock, or a caller that
   * recorded stages — since a journal found by a reader may belong to a repro still running.
   */
  close(): void {
    try {
      const lock = this.cached.lock;
      if (lock && (this.repoLock || lock.recording)) lock.flush();
      this.cached.hashState?.save();
      this.cached.parsedFiles?.save();
      this.cached.placed?.save();
    } finally {
      this.repoLock?.release();
      this.repoLock = undefined;
    }
  }
}
