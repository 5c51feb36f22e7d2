/** `mlp track sync|status`: the tracked runs waiting in .mlp/tracking/outbox/. */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { commandLine, print, printJson, withRepo } from './context.js';

export function registerTrackCommands(program: Command): void {
  const track = program.command('track').description('tracked runs (MLflow, W&B) waiting to be sent: status and sync');

  track
    .command('status')
    .description('list the runs waiting in .mlp/tracking/outbox/ and why')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { pendingRuns } = await import('../tracking/sync.js');
        const { renderPendingRuns } = await import('../ui/tracking.js');
        const pending = pendingRuns(repo);
        if (flags.json) {
          printJson(pending.map(({ record, active }) => ({
            uid: record.uid,
            stage: record.stage,
            status: record.status,
            active,
            backend: record.destination.backend,
            uri: record.destination.uri,
            experiment: record.destination.experiment,
            started: new Date(record.startTime).toISOString(),
            attempts: record.delivery.attempts,
            sent: record.delivery.done,
            lastError: record.delivery.lastError ?? null,
          })));
          return;
        }
        for (const line of renderPendingRuns(pending)) print(line);
      });
    });

  track
    .command('sync')
    .description('send the waiting runs to their tracking servers (once each, oldest first)')
    .action(async () => {
      process.exitCode = await withRepo(commandLine(), async (repo) => {
        const { syncOutbox } = await import('../tracking/sync.js');
        const { renderSync } = await import('../ui/tracking.js');
        const result = await syncOutbox(repo);
        const { out, err } = renderSync(result);
        for (const line of out) print(line);
        for (const line of err) process.stderr.write(`${line}\n`);
        return result.failed.length > 0 ? ExitCode.failure : ExitCode.ok;
      });
    });
}
