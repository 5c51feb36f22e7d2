/** `mlp remote add|list|remove|rename|default|modify|verify`, `push`, `pull`, `fetch`: parse → call the core → render (src/ui/remote.ts). */
import type { Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { describeRemoteOptions } from '../schema/remote-options.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import type { TransferSummary } from '../remote/transfer.js';
import type { CheckoutCounts } from '../ui/remote.js';
import { commandLine, print, printJson, withRepo } from './context.js';
import { parsePositiveInt } from './options.js';

interface TransferFlags {
  remote?: string;
  jobs?: number;
  json?: boolean;
  runCache?: boolean;
  force?: boolean;
}

export function registerRemoteCommands(program: Command): void {
  const remote = program.command('remote').description('configure remotes: where push and pull send and get data');

  remote
    .command('add')
    .description('add a remote: ssh://[user@]host[:port]/path, s3://bucket/prefix, or a local directory')
    .argument('<name>', 'a name for the remote')
    .argument('<url>', 'where it is')
    .option('-d, --default', 'make it the default remote')
    .option('--local', 'write to .mlp/config.local.yaml (not committed)')
    .option('-f, --force', 'replace an existing remote of that name')
    .action(async (name: string, url: string, flags: { default?: boolean; local?: boolean; force?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { addRemote, configFileName } = await import('../remote/remote-config.js');
        const location = addRemote(repo, name, url, flags);
        print(`Added remote '${name}' (${location.kind}: ${url})${flags.default ? ' as the default' : ''} to .mlp/${configFileName(flags.local === true)}.`);
      });
    });

  remote
    .command('list')
    .description('list the configured remotes')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const [{ remoteNames }, { renderRemoteList }] = await Promise.all([import('../remote/remote-config.js'), import('../ui/remote.js')]);
        const def = repo.config.core?.remote;
        const rows = remoteNames(repo.config).map((n) => ({ name: n, url: String(repo.config.remotes?.[n]?.url ?? ''), default: n === def }));
        if (flags.json) printJson(rows);
        else for (const line of renderRemoteList(rows)) print(line);
      });
    });

  remote
    .command('remove')
    .description('remove a remote (from config.yaml and config.local.yaml)')
    .argument('<name>')
    .action(async (name: string) => {
      await withRepo(undefined, async (repo) => {
        const { removeRemote } = await import('../remote/remote-config.js');
        removeRemote(repo, name);
        print(`Removed remote '${name}'.`);
      });
    });

  remote
    .command('rename')
    .description('rename a remote (in config.yaml and config.local.yaml, and as the default)')
    .argument('<old>')
    .argument('<new>')
    .action(async (from: string, to: string) => {
      await withRepo(undefined, async (repo) => {
        const { renameRemote } = await import('../remote/remote-config.js');
        renameRemote(repo, from, to);
        print(`Renamed remote '${from}' to '${to}'.`);
      });
    });

  remote
    .command('default')
    .description('set (or show) the default remote')
    .argument('[name]')
    .option('--local', 'write to .mlp/config.local.yaml (not committed)')
    .option('--unset', 'remove the default')
    .action(async (name: string | undefined, flags: { local?: boolean; unset?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { setDefaultRemote, unsetDefaultRemote } = await import('../remote/remote-config.js');
        if (flags.unset) {
          unsetDefaultRemote(repo, flags.local === true);
          print('Unset the default remote.');
        } else if (name === undefined) {
          print(repo.config.core?.remote ?? 'No default remote.');
        } else {
          setDefaultRemote(repo, name, flags.local === true);
          print(`Default remote: ${name}.`);
        }
      });
    });

  remote
    .command('modify')
    .description('set an option of a remote (secrets only with --local)')
    .argument('<name>')
    .argument('<option>', describeRemoteOptions())
    .argument('[value]')
    .option('--local', 'write to .mlp/config.local.yaml (not committed)')
    .option('--unset', 'remove the option')
    .action(async (name: string, option: string, value: string | undefined, flags: { local?: boolean; unset?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { configFileName, modifyRemote } = await import('../remote/remote-config.js');
        const file = configFileName(flags.local === true);
        const result = modifyRemote(repo, name, option, value, flags);
        if (result.kind === 'was-not-set') print(`${option} was not set in ${file}.`);
        else if (result.kind === 'unset') print(`Unset ${option} of remote '${name}'.`);
        else print(`Set ${option} of remote '${name}'${result.secret ? '' : ` to ${value}`} in .mlp/${file}.`);
      });
    });

  remote
    .command('verify')
    .description('download and hash the objects the workspace records on a remote; report damaged or missing ones (--repair fixes them)')
    .argument('[targets...]', 'stages, outputs or tracked paths (default: everything recorded)')
    .option('-r, --remote <name>', 'remote to check (default: core.remote)')
    .option('-j, --jobs <n>', 'objects in flight (default: sized for the remote)', parsePositiveInt)
    .option('-A, --all-commits', 'also the objects recorded at every git commit')
    .option('--repair', 'upload good local copies over damaged or missing objects; delete damaged ones that have no good copy here')
    .option('--json', 'print a JSON report')
    .action(async (targets: string[], flags: VerifyFlags) => {
      process.exitCode = await runVerify(targets, flags);
    });

  const transferCommand = (name: 'push' | 'pull' | 'fetch', description: string): Command =>
    program
      .command(name)
      .description(description)
      .argument('[targets...]', 'stages, outputs or tracked paths (default: everything recorded)')
      .option('-r, --remote <name>', 'remote to use (default: core.remote)')
      .option('-j, --jobs <n>', 'objects in flight (default: sized for the remote)', parsePositiveInt)
      .option('--run-cache', 'transfer the run-cache entries too')
      .option('--json', 'print a JSON summary');

  transferCommand('push', 'send the cached data of the targets to a remote (only what it lacks)').action(async (targets: string[], flags: TransferFlags) => {
    process.exitCode = await runTransfer('push', targets, flags);
  });
  transferCommand('fetch', 'get the data of the targets from a remote into the cache (not the workspace)').action(async (targets: string[], flags: TransferFlags) => {
    process.exitCode = await runTransfer('fetch', targets, flags);
  });
  transferCommand('pull', 'fetch the data of the targets from a remote, then check it out into the workspace')
    .option('-f, --force', 'also overwrite and delete files whose content is not in the cache (discards unsaved changes)')
    .action(async (targets: string[], flags: TransferFlags) => {
    process.exitCode = await runTransfer('pull', targets, flags);
  });
}

async function runTransfer(command: 'push' | 'pull' | 'fetch', targets: string[], flags: TransferFlags): Promise<number> {
  return withRepo(commandLine(), async (repo) => {
    const [{ push, fetch, newProgress }, { renderTransfer, showTransferProgress }] = await Promise.all([import('../remote/transfer.js'), import('../ui/remote.js')]);
    const progress = newProgress();
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let remoteName = flags.remote;
    let stopProgress = (): void => {};
    // One transfer per remote: outputs that name their own remote (`remote:`) go there.
    const done: { name: string; summary: TransferSummary }[] = [];
    let checkout: CheckoutCounts | undefined;
    let checkoutItems: import('../data/checkout-workspace.js').CheckoutItem[] = [];
    try {
      const routes = await routesFor(repo, targets, flags.remote);
      remoteName = routes[0]?.spec.name;
      stopProgress = await showTransferProgress(command, progress, flags.json === true);
      try {
        const { openBackend } = await import('../remote/open-backend.js');
        for (const [index, route] of routes.entries()) {
          const backend = await openBackend(route.spec, repo.root);
          try {
            // Run-cache entries belong to no output: they go to (come from) the first remote only.
            const options = {
              jobs: flags.jobs,
              runCache: flags.runCache === true && index === 0,
              progress,
              signal: controller.signal,
              wanted: route.wanted,
              // A pull writes the workspace's new paths from the bytes it fetches.
              alsoWrite: command === 'pull' ? (wanted: readonly RecordedPath[]) => repo.workspace.prepareNewPaths(wanted) : undefined,
            };
            done.push({ name: route.spec.name, summary: command === 'push' ? await push(repo, backend, targets, options) : await fetch(repo, backend, targets, options) });
          } finally {
            await backend.close();
          }
        }
        if (command === 'pull') {
          progress.phase = 'checkout';
          const { checkoutWorkspace } = await import('../data/checkout-workspace.js');
          checkoutItems = checkoutWorkspace(repo, targets, { force: flags.force === true });
          const problems = checkoutItems.filter((i) => i.outcome === 'missing' || i.outcome === 'failed');
          checkout = {
            restored: checkoutItems.filter((i) => i.outcome === 'restored').length,
            unchanged: checkoutItems.filter((i) => i.outcome === 'unchanged').length,
            unavailable: problems.length,
            kept: checkoutItems.filter((i) => i.outcome === 'unsaved').length,
            problems: problems.map((i) => ({ path: i.path, message: i.message ?? `${i.path} could not be checked out` })),
          };
        }
      } finally {
        stopProgress();
        if (command === 'pull') repo.workspace.discardEarly();
      }
    } catch (error) {
      // --json promises JSON on stdout whatever happens; the error itself goes to stderr too.
      if (flags.json) {
        const e = error instanceof MlpError ? error : undefined;
        printJson({
          command,
          remote: remoteName ?? null,
          ok: false,
          error: { message: error instanceof Error ? error.message : String(error), hint: e?.hint ?? null, exitCode: e?.exitCode ?? ExitCode.failure },
          transferred: progress.files,
          bytes: progress.bytes,
        });
      }
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const summary = mergeSummaries(done.map((d) => d.summary));
    const unsaved = checkoutItems.filter((i) => i.outcome === 'unsaved').map((i) => ({ path: i.path, source: i.source, files: i.files ?? [] }));
    const ok = summary.failures.length === 0 && (checkout?.unavailable ?? 0) === 0;
    const rendered = done.map((d, i) => renderTransfer(command, d.name, d.summary, i === done.length - 1 ? checkout : undefined));
    if (flags.json) {
      const perRemote = done.length > 1 ? { remotes: done.map((d) => ({ ...d.summary, remote: d.name, url: d.summary.remote })) } : {};
      printJson({ command, ...summary, remote: remoteName, url: summary.remote, ok, checkout, ...(unsaved.length ? { unsaved } : {}), ...perRemote });
    } else {
      for (const line of rendered.flatMap((r) => r.out)) print(line);
      const { renderUnsaved } = await import('../ui/unsaved.js');
      for (const line of renderUnsaved(checkoutItems, ['mlp pull --force', ...targets].join(' '))) process.stderr.write(`${line}\n`);
    }
    if (ok) return unsaved.length > 0 ? ExitCode.unsavedChanges : ExitCode.ok;
    for (const line of rendered.flatMap((r) => r.err)) process.stderr.write(`${line}\n`);
    return ExitCode.failure;
  });
}

/** The remotes a command uses for the recorded paths of `targets` (src/remote/routing.ts). */
async function routesFor(repo: Repo, targets: readonly string[], remote: string | undefined) {
  const [{ recordedPaths }, { routeToRemotes }] = await Promise.all([import('../data/checkout-workspace.js'), import('../remote/routing.js')]);
  return routeToRemotes(repo, recordedPaths(repo, targets), remote);
}

/** One summary of transfers to several remotes (the first remote's name, the totals). */
function mergeSummaries(summaries: readonly TransferSummary[]): TransferSummary {
  const [first, ...rest] = summaries;
  if (!first) throw new MlpError('no remote was used');
  return rest.reduce(
    (all, s) => ({
      ...all,
      transferred: all.transferred + s.transferred,
      bytes: all.bytes + s.bytes,
      upToDate: all.upToDate + s.upToDate,
      runCacheEntries: all.runCacheEntries + s.runCacheEntries,
      failures: [...all.failures, ...s.failures],
      seconds: all.seconds + s.seconds,
    }),
    first,
  );
}

interface VerifyFlags {
  remote?: string;
  jobs?: number;
  allCommits?: boolean;
  repair?: boolean;
  json?: boolean;
}

async function runVerify(targets: string[], flags: VerifyFlags): Promise<number> {
  return withRepo(commandLine(), async (repo) => {
    const [{ verifyRemote }, { newProgress }, { renderVerify, showTransferProgress }] = await Promise.all([
      import('../remote/verify.js'),
      import('../remote/transfer.js'),
      import('../ui/remote.js'),
    ]);
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const progress = newProgress();
    const { backend, spec } = await openRemote(repo, flags.remote);
    const stopProgress = await showTransferProgress('verify', progress, flags.json === true);
    let summary;
    try {
      summary = await verifyRemote(repo, backend, targets, { jobs: flags.jobs, allCommits: flags.allCommits === true, repair: flags.repair === true, signal: controller.signal, progress });
    } finally {
      stopProgress();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await backend.close();
    }
    const ok = summary.problems.every((p) => p.repair === 'uploaded');
    const rendered = renderVerify(spec.name, summary, flags.repair === true);
    if (flags.json) printJson({ ...summary, remote: spec.name, url: summary.remote, ok });
    else for (const line of rendered.out) print(line);
    for (const line of rendered.err) process.stderr.write(`${line}\n`);
    return ok ? ExitCode.ok : ExitCode.failure;
  });
}

export async function openRemote(repo: Repo, name: string | undefined) {
  const { resolveRemote } = await import('../remote/remote-config.js');
  const { openBackend } = await import('../remote/open-backend.js');
  const spec = resolveRemote(repo.config, repo.root, name);
  return { spec, backend: await openBackend(spec, repo.root) };
}

/** `mlp status -c`: per recorded path, whether it is in sync with the remote. Reads only. */
export async function runRemoteStatus(repo: Repo, targets: string[], remoteName: string | undefined, json: boolean): Promise<number> {
  const [{ remoteStatus }, { renderRemoteStatus }, { openBackend }] = await Promise.all([import('../remote/transfer.js'), import('../ui/remote.js'), import('../remote/open-backend.js')]);
  const results = [];
  for (const route of await routesFor(repo, targets, remoteName)) {
    const backend = await openBackend(route.spec, repo.root);
    try {
      results.push({ spec: route.spec, items: await remoteStatus(repo, backend, targets, { wanted: route.wanted }) });
    } finally {
      await backend.close();
    }
  }
  const [first] = results;
  if (json) {
    // Items of outputs that name their own remote say which (`remote`); the top level is the first remote.
    const items = results.flatMap((r, i) => (i === 0 ? r.items : r.items.map((item) => ({ ...item, remote: r.spec.name }))));
    printJson({ remote: first?.spec.name, url: first?.spec.url, items });
  } else for (const r of results) for (const line of renderRemoteStatus(r.spec.name, r.spec.url, r.items)) print(line);
  return ExitCode.ok;
}

/** `mlp repro --pull`: fetch what the selected stages need, then let repro decide. */
export async function pullBeforeRepro(repo: Repo, targets: string[], remoteName: string | undefined, single: boolean, runCache: boolean): Promise<void> {
  const { pullForRepro } = await import('../remote/repro-pull.js');
  const { formatBytes } = await import('../ui/render.js');
  const { backend, spec } = await openRemote(repo, remoteName);
  try {
    const { summary, restored } = await pullForRepro(repo, backend, targets, single, { runCache });
    print(`Pulled ${summary.transferred} object${summary.transferred === 1 ? '' : 's'} (${formatBytes(summary.bytes)}) from '${spec.name}'${restored.length ? `; restored ${restored.join(', ')}` : ''}.`);
    for (const f of summary.failures) process.stderr.write(`warning: ${f.message}\n`);
  } finally {
    await backend.close();
  }
}
