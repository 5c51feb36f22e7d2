/**
 * `mlp migrate`: a DVC project → an mlp one, in place. Every DVC file is read and validated
 * first (paths inside the repository, hashes that are md5s: a located error, exit 3, before
 * anything is written); then `.dvcignore` → `.mlpignore` (it decides what directories hold),
 * DVC's cache → mlp's store, `dvc.yaml` → `pipeline.yaml`, `dvc.lock` → `pipeline.lock`,
 * `*.dvc` → `*.mlp`, `.dvc/config` remotes → mlp remotes. Files mlp already has are never
 * overwritten: an equal one is "unchanged" (so a second run changes nothing), a different one is
 * kept and named. The DVC files stay unless `removeDvc`, and even then DVC's cache stays if any
 * of it could not be imported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { runGit } from '../git/git.js';
import { PathHasher, type HashInfo } from '../hash/hash-path.js';
import { MlpIgnore } from '../hash/mlpignore.js';
import { Lockfile, type LockEntry } from '../lock/lockfile.js';
import { loadPipeline } from '../pipeline/load.js';
import { LOCK_FILE, PIPELINE_FILE } from '../pipeline/schema.js';
import { parsePointer, pointerFileFor, writePointer } from '../pointer/pointer-file.js';
import { ConfigFileEditor } from '../remote/remote-config.js';
import type { Repo } from '../repo/repo.js';
import type { StaleReason } from '../repro/reasons.js';
import { checkStage } from '../repro/staleness.js';
import { dvcTarget, parseDvcConfig, parseDvcFile, parseDvcLock, type DvcConfig, type DvcFile, type DvcLock, type DvcOut } from '../schema/dvc.js';
import { checkedInside, isRepoPath, joinInside, type RepoPath } from '../schema/repo-path.js';
import { writeFileAtomic } from '../util/fs.js';
import { importDvcCache, type CacheImport } from './dvc-cache.js';
import { convertDvcYaml, convertLock, planLockPaths, type ConvertedPipeline } from './dvc-pipeline.js';
import { applyRemote, planRemotes } from './dvc-remotes.js';
import { resolveEntry } from './resolve-entry.js';

export const DVC_DIR = '.dvc';

export interface MigrateOptions {
  dryRun: boolean;
  removeDvc: boolean;
}

/** What happened to one file (or would, in a dry run). */
export interface MigrationStep {
  action: 'write' | 'import' | 'unchanged' | 'kept' | 'skipped' | 'remove' | 'add-remote' | 'update-remote';
  /** The file written (or the remote's name). */
  target: string;
  /** Where it came from, and what it holds. */
  detail: string;
}

export interface MigrationReport {
  root: string;
  dryRun: boolean;
  steps: MigrationStep[];
  cache?: Omit<CacheImport, 'known' | 'listings'> & { dir: string };
  /** Stages not recorded in a pipeline.lock (they will rerun), with why. */
  leftOut: { lock: string; stage: string; reason: string }[];
  /** Stages of the root pipeline recorded from dvc.lock that mlp would still rerun, and why. */
  wouldRerun: { stage: string; reasons: StaleReason[] }[];
  warnings: string[];
  /** Files written, removed or remotes added (or that would be, in a dry run). */
  changes: number;
}

/** The DVC project around `cwd`: the nearest directory upwards with `.dvc/`. */
export function findDvcRoot(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, DVC_DIR, 'config')) || fs.statSync(path.join(dir, DVC_DIR), { throwIfNoEntry: false })?.isDirectory()) return dir;
    // A DVC project above the git repository's top is another project: it is not converted from here.
    if (fs.existsSync(path.join(dir, '.git'))) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Whether `root` is a DVC project (a `.dvc/` directory, or a dvc.yaml at the root). */
export function isDvcProject(root: string): boolean {
  return fs.statSync(path.join(root, DVC_DIR), { throwIfNoEntry: false })?.isDirectory() === true || fs.existsSync(path.join(root, 'dvc.yaml'));
}

interface DvcFiles {
  pipelines: RepoPath[];
  pointers: RepoPath[];
  ignores: RepoPath[];
}

/** DVC's files in the workspace (git's view: tracked, or untracked and not ignored). */
function listDvcFiles(root: string): DvcFiles {
  const out = runGit(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*dvc.yaml', '*.dvc', '*.dvcignore']);
  const files = out.code === 0 ? out.stdout.toString('utf8').split('\0') : walk(root);
  const found: DvcFiles = { pipelines: [], pointers: [], ignores: [] };
  for (const file of [...new Set(files)].sort()) {
    if (!isRepoPath(file) || file.startsWith(`${DVC_DIR}/`) || !fs.existsSync(path.join(root, file))) continue;
    const base = path.posix.basename(file);
    if (base === 'dvc.yaml') found.pipelines.push(file);
    else if (base === '.dvcignore') found.ignores.push(file);
    else if (base.endsWith('.dvc') && base !== '.dvc') found.pointers.push(file);
  }
  return found;
}

function walk(root: string): string[] {
  const found: string[] = [];
  const skip = new Set(['.git', '.mlp', DVC_DIR, 'node_modules']);
  const visit = (dir: string, prefix: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!skip.has(entry.name)) visit(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      } else found.push(prefix + entry.name);
    }
  };
  visit(root, '');
  return found;
}

/** Whether `abs` (or, if it exists, where its symlinks lead) is inside the repository. */
function insideRepository(root: string, abs: string): boolean {
  const real = fs.existsSync(abs) ? fs.realpathSync(abs) : abs;
  const realRoot = fs.realpathSync(root);
  return real === realRoot || real.startsWith(`${realRoot}${path.sep}`);
}

const dirOf = (file: string): string => path.posix.dirname(file);
const sibling = (file: string, name: string): RepoPath => (dirOf(file) === '.' ? name : `${dirOf(file)}/${name}`) as RepoPath;

interface ParsedPipeline {
  dvcYaml: RepoPath;
  dir: string;
  converted: ConvertedPipeline;
  lock?: { file: RepoPath; parsed: DvcLock; planned: ReturnType<typeof planLockPaths> };
}

interface ParsedPointer {
  file: RepoPath;
  parsed: DvcFile;
  targets: { rel: RepoPath; out: DvcOut }[];
}

function readText(root: string, file: RepoPath): string {
  return fs.readFileSync(joinInside(root, file), 'utf8');
}

function readConfig(root: string, file: string): DvcConfig {
  const abs = path.join(root, file);
  return fs.existsSync(abs) ? parseDvcConfig(fs.readFileSync(abs, 'utf8'), file) : new Map();
}

export async function migrate(repo: Repo, options: MigrateOptions): Promise<MigrationReport> {
  const root = repo.root;
  if (!isDvcProject(root)) {
    throw new MlpError(`no DVC project in ${root}: no ${DVC_DIR}/ directory and no dvc.yaml`, {
      hint: 'run `mlp migrate` at the root of a DVC project (where `.dvc/` is); to start a new project, run `mlp init`',
      exitCode: ExitCode.usage,
    });
  }
  const report: MigrationReport = { root, dryRun: options.dryRun, steps: [], leftOut: [], wouldRerun: [], warnings: [], changes: 0 };
  // Every write and removal is checked first: no symlinked directory may lead it outside the repository.
  const write = options.dryRun ? (): void => undefined : (file: RepoPath, text: string): void => writeFileAtomic(checkedInside(root, file), text);

  // 1. Read and validate every DVC file before anything is written.
  const files = listDvcFiles(root);
  const pipelines: ParsedPipeline[] = files.pipelines.map((dvcYaml) => {
    const dir = dirOf(dvcYaml);
    const converted = convertDvcYaml(readText(root, dvcYaml), dvcYaml);
    const parsed: ParsedPipeline = { dvcYaml, dir, converted };
    const lockFile = sibling(dvcYaml, 'dvc.lock');
    if (fs.existsSync(joinInside(root, lockFile))) {
      const text = readText(root, lockFile);
      const lock = parseDvcLock(text, lockFile);
      parsed.lock = { file: lockFile, parsed: lock, planned: planLockPaths(lock, dir, converted.wdirs, { file: lockFile, text }) };
    }
    return parsed;
  });
  const pointers: ParsedPointer[] = files.pointers.map((file) => {
    const text = readText(root, file);
    const parsed = parseDvcFile(text, file);
    const base = path.posix.join(dirOf(file), parsed.wdir ?? '.');
    const targets = parsed.outs.map((out, index) => ({ rel: dvcTarget(base, out.path, { file, text, keys: ['outs', index, 'path'] }), out }));
    return { file, parsed, targets };
  });
  const configFile = `${DVC_DIR}/config`;
  const config = readConfig(root, configFile);
  const configLocal = readConfig(root, `${DVC_DIR}/config.local`);

  // 2. .dvcignore → .mlpignore, first: it decides which files a directory holds when hashed.
  for (const ignore of files.ignores) {
    const target = sibling(ignore, '.mlpignore');
    copyFile(root, ignore, target, report, write);
  }

  // 3. DVC's cache.
  const cacheSetting = config.get('cache')?.get('dir')?.value ?? configLocal.get('cache')?.get('dir')?.value;
  const cacheAbs = cacheSetting === undefined ? path.join(root, DVC_DIR, 'cache') : path.resolve(root, DVC_DIR, cacheSetting);
  const shownCache = path.relative(root, cacheAbs).split(path.sep).join('/');
  let cache: CacheImport;
  if (!insideRepository(root, cacheAbs)) {
    report.warnings.push(`DVC's cache is at ${fs.existsSync(cacheAbs) ? fs.realpathSync(cacheAbs) : cacheAbs}, outside the repository: not imported (mlp migrates nothing from outside the repository); copy it to ${DVC_DIR}/cache and run \`mlp migrate\` again`);
    cache = { known: new Map(), listings: new Map(), imported: 0, present: 0, bytes: 0, corrupt: [], incomplete: [] };
  } else {
    cache = importDvcCache(cacheAbs, shownCache, repo.objects, options.dryRun);
    const { known: _known, listings: _listings, ...counts } = cache;
    report.cache = { ...counts, dir: shownCache };
    if (cache.imported > 0) {
      // Its detail (counts, bytes) is the UI's to word, from `report.cache`.
      report.steps.push({ action: 'import', target: shownCache, detail: '' });
      report.changes++;
    }
    for (const file of cache.corrupt) report.warnings.push(`${file}: its content does not match its md5: not imported`);
    for (const file of cache.incomplete) report.warnings.push(`${file}: names files that are not in DVC's cache: not imported (\`dvc fetch\` them, then run \`mlp migrate\` again)`);
  }

  // Data only the workspace holds is saved into mlp's cache, so that `mlp checkout` can restore it.
  const toSave = new Set<RepoPath>();
  // A dry run wrote no .mlpignore: directories are read with DVC's .dvcignore rules, as the real run would.
  const hasher = options.dryRun ? new PathHasher(root, repo.hashState, new MlpIgnore(root, '.dvcignore')) : repo.hasher;
  const resolve = (rel: RepoPath, out: DvcOut, save: boolean): { ok: true; info: HashInfo } | { ok: false; problem: string } => {
    const resolved = resolveEntry(root, hasher, cache, rel, out);
    if (!resolved.ok) return resolved;
    // Outputs and tracked data only: a dep (a script under git) is not the cache's to hold.
    if (resolved.fromWorkspace && save) toSave.add(rel);
    return { ok: true, info: resolved.info };
  };

  // 4. Pipelines and their locks.
  const recorded = new Set<string>();
  for (const p of pipelines) {
    const target = sibling(p.dvcYaml, PIPELINE_FILE);
    const metrics = p.converted.cachedMetrics > 0 ? `; \`cache: true\` written on ${p.converted.cachedMetrics} metrics ${p.converted.cachedMetrics === 1 ? 'entry' : 'entries'} (DVC caches them)` : '';
    writeOnce(root, target, p.converted.text, `from ${p.dvcYaml}: ${p.converted.stages} ${p.converted.stages === 1 ? 'stage' : 'stages'}${metrics}`, report, write);
    if (!p.lock) continue;
    const lockTarget = sibling(p.dvcYaml, LOCK_FILE);
    const conversion = convertLock(p.lock.parsed, p.dir, p.lock.planned, (rel, out, role) => {
      const resolved = resolve(rel, out, role === 'out');
      return resolved.ok ? { ok: true, locked: resolved.info } : resolved;
    });
    for (const left of conversion.leftOut) report.leftOut.push({ lock: lockTarget, ...left });
    await saveFromWorkspace(repo, toSave, options.dryRun);
    if (!options.dryRun) checkedInside(root, lockTarget);
    const lock = Lockfile.load(path.join(root, p.dir));
    const added: string[] = [];
    for (const [stage, entry] of conversion.entries) {
      if (p.dir === '.') recorded.add(stage);
      if (lock.get(stage) !== undefined) continue;
      lock.set(stage, entry as LockEntry);
      added.push(stage);
    }
    const left = conversion.leftOut.length > 0 ? `; ${conversion.leftOut.length} left out (they will rerun)` : '';
    if (added.length > 0) {
      if (!options.dryRun) lock.save();
      report.steps.push({ action: 'write', target: lockTarget, detail: `from ${p.lock.file}: ${added.length} ${added.length === 1 ? 'stage' : 'stages'} recorded${left}` });
      report.changes++;
    } else {
      report.steps.push({ action: 'unchanged', target: lockTarget, detail: `from ${p.lock.file}${left}` });
    }
  }

  // 5. `.dvc` files → pointers.
  const notConverted = new Set<RepoPath>();
  for (const p of pointers) {
    if ((p.parsed.deps ?? []).length > 0) {
      notConverted.add(p.file);
      report.steps.push({ action: 'skipped', target: p.file, detail: 'an import from another repository (it has deps): not converted; track it again with `mlp import`' });
      continue;
    }
    for (const { rel, out } of p.targets) {
      const pointerFile = pointerFileFor(rel);
      const resolved = resolve(rel, out, true);
      if (!resolved.ok) {
        notConverted.add(p.file);
        report.steps.push({ action: 'skipped', target: pointerFile, detail: `from ${p.file}: ${resolved.problem}` });
        continue;
      }
      await saveFromWorkspace(repo, toSave, options.dryRun);
      const abs = joinInside(root, pointerFile);
      if (fs.existsSync(abs)) {
        const existing = parsePointer(pointerFile, fs.readFileSync(abs, 'utf8'));
        const same = existing.path === rel && existing.info.hash === resolved.info.hash;
        report.steps.push(same ? { action: 'unchanged', target: pointerFile, detail: `from ${p.file}` } : { action: 'kept', target: pointerFile, detail: `it differs from ${p.file}; left as it is` });
        continue;
      }
      if (!options.dryRun) {
        checkedInside(root, pointerFile);
        writePointer(root, { path: rel, info: resolved.info });
        repo.gitignore.ignore(rel);
      }
      report.steps.push({ action: 'write', target: pointerFile, detail: `from ${p.file}` });
      report.changes++;
    }
  }

  // 6. Remotes.
  const plan = planRemotes(config, configLocal, path.join(root, DVC_DIR), root, configFile);
  report.warnings.push(...plan.warnings);
  if (plan.remotes.length > 0) {
    const project = ConfigFileEditor.for(repo.mlpDir, false);
    const local = ConfigFileEditor.for(repo.mlpDir, true);
    let changed = false;
    for (const remote of plan.remotes) {
      const outcome = applyRemote(project, local, remote);
      const secrets = Object.keys(remote.local);
      const where = `${remote.kind} ${remote.url}${secrets.length ? ` (${secrets.join(', ')} in .mlp/config.local.yaml)` : ''}`;
      if (outcome === 'kept') report.steps.push({ action: 'kept', target: `remote ${remote.name}`, detail: `mlp's remote of that name has another url; left as it is (DVC's: ${remote.url})` });
      else if (outcome === 'unchanged') report.steps.push({ action: 'unchanged', target: `remote ${remote.name}`, detail: where });
      else {
        report.steps.push({ action: outcome === 'added' ? 'add-remote' : 'update-remote', target: `remote ${remote.name}`, detail: where });
        report.warnings.push(...(remote.dropped ?? []));
        report.changes++;
        changed = true;
      }
    }
    if (plan.default !== undefined && project.get(['core', 'remote']) === undefined && local.get(['core', 'remote']) === undefined) {
      project.set(['core', 'remote'], plan.default);
      report.steps.push({ action: 'write', target: 'default remote', detail: plan.default });
      report.changes++;
      changed = true;
    }
    if (changed && !options.dryRun) {
      project.save();
      if (plan.remotes.some((r) => Object.keys(r.local).length > 0)) local.save();
    }
  }

  // 7. Can mlp load what was written, and are the stages recorded up to date? A recorded stage
  //    that mlp would still rerun (its command resolves differently, a param DVC did not record)
  //    is named, so that "nothing reruns needlessly" can be checked. (Subdirectory pipelines are
  //    loaded by their own command.)
  if (!options.dryRun && pipelines.some((p) => p.dir === '.')) {
    try {
      const pipeline = loadPipeline(root);
      const lock = Lockfile.load(root);
      for (const stage of pipeline.stages.values()) {
        const entry = lock.get(stage.name);
        if (!entry || stage.frozen || !recorded.has(stage.name)) continue;
        // A missing output is not a rerun: `mlp checkout` restores it from the cache.
        const reasons = checkStage(repo, stage, entry, 'report').reasons.filter((r) => r.kind !== 'out-missing' && r.kind !== 'always-changed' && r.kind !== 'no-deps');
        if (reasons.length > 0) report.wouldRerun.push({ stage: stage.name, reasons });
      }
    } catch (error) {
      report.warnings.push(`${PIPELINE_FILE} does not load yet: ${error instanceof Error ? error.message : String(error)} — fix it by hand (see "DVC's dvc.yaml keys in mlp" in the README)`);
    }
  }

  if (options.removeDvc) removeDvcFiles(root, files, pointers, notConverted, cache, report, options.dryRun);
  return report;
}

async function saveFromWorkspace(repo: Repo, toSave: Set<RepoPath>, dryRun: boolean): Promise<void> {
  for (const rel of toSave) if (!dryRun) await repo.workspace.hashAndSave(rel);
  toSave.clear();
}

/** Writes `text` to `target` unless it exists: equal → unchanged, different → kept. */
function writeOnce(root: string, target: RepoPath, text: string, detail: string, report: MigrationReport, write: (file: RepoPath, text: string) => void): void {
  const abs = joinInside(root, target);
  if (fs.existsSync(abs)) {
    const same = fs.readFileSync(abs, 'utf8') === text;
    report.steps.push(same ? { action: 'unchanged', target, detail } : { action: 'kept', target, detail: `it exists and differs from the conversion ${detail.replace(/:.*/, '')}; left as it is` });
    return;
  }
  write(target, text);
  report.steps.push({ action: 'write', target, detail });
  report.changes++;
}

function copyFile(root: string, from: RepoPath, to: RepoPath, report: MigrationReport, write: (file: RepoPath, text: string) => void): void {
  writeOnce(root, to, readText(root, from), `from ${from}`, report, write);
}

/**
 * `--remove-dvc`: DVC's files, once their content is in mlp's. A `.dvc` file that was not
 * converted stays, and so does `.dvc/` while DVC's cache holds objects that were not imported.
 */
function removeDvcFiles(root: string, files: DvcFiles, pointers: ParsedPointer[], notConverted: Set<RepoPath>, cache: CacheImport, report: MigrationReport, dryRun: boolean): void {
  const remove = (target: RepoPath, detail: string): void => {
    // rm does not follow a symlink it removes; a symlinked directory above the target is refused.
    if (!dryRun) fs.rmSync(checkedInside(root, target), { recursive: true, force: true });
    report.steps.push({ action: 'remove', target, detail });
    report.changes++;
  };
  // A DVC file goes only when what it converts to is in place: an mlp file left as it was
  // (it existed and differed) or stages left out of a lock mean its content is not in mlp's yet.
  const landed = (target: string): boolean => report.steps.some((step) => step.target === target && (step.action === 'write' || step.action === 'unchanged'));
  let kept = 0;
  const removeIfLanded = (source: RepoPath, target: string, detail: string, complete = landed(target)): void => {
    if (complete) remove(source, detail);
    else {
      kept++;
      report.warnings.push(`${source} kept: its conversion to ${target} did not land (see above)`);
    }
  };
  for (const p of files.pipelines) {
    removeIfLanded(p, sibling(p, PIPELINE_FILE), `converted to ${sibling(p, PIPELINE_FILE)}`);
    const lock = sibling(p, 'dvc.lock');
    const lockTarget = sibling(p, LOCK_FILE);
    if (fs.existsSync(joinInside(root, lock))) removeIfLanded(lock, lockTarget, `converted to ${lockTarget}`, landed(lockTarget) && !report.leftOut.some((l) => l.lock === lockTarget));
  }
  for (const p of pointers) {
    if (notConverted.has(p.file)) {
      kept++;
      report.warnings.push(`${p.file} was not converted: kept`);
    } else {
      const targets = p.targets.map((t) => pointerFileFor(t.rel));
      removeIfLanded(p.file, targets.join(', '), 'converted', targets.every(landed));
    }
  }
  for (const ignore of files.ignores) removeIfLanded(ignore, sibling(ignore, '.mlpignore'), `copied to ${sibling(ignore, '.mlpignore')}`);
  if (cache.corrupt.length > 0 || cache.incomplete.length > 0 || report.cache === undefined || kept > 0) {
    report.warnings.push(`${DVC_DIR}/ kept: ${report.cache === undefined ? "DVC's cache was not imported" : kept > 0 ? 'DVC files that were not converted still refer to it' : "DVC's cache holds objects that were not imported"} (see above)`);
  } else if (fs.existsSync(path.join(root, DVC_DIR))) {
    remove(DVC_DIR as RepoPath, 'its config and cache were imported');
  }
}
