/** The sides `mlp plots diff` compares: revisions, experiments (by name) and the workspace. */
import { ExitCode, MlpError } from '../errors.js';
import { RevisionSource, WORKSPACE, WorkspaceSource, type FileSource } from '../git/file-source.js';
import { GitRepo } from '../git/git.js';
import { resolveExperimentOrRevision } from '../exp/store.js';

/**
 * No revision: HEAD and the workspace. One: it and the workspace (with `experiment`, an
 * experiment and its baseline). More: those, in the order given. `workspace` names the workspace.
 */
export function diffPlotSources(root: string, revs: readonly string[], options: { experiment?: boolean } = {}): FileSource[] {
  const git = GitRepo.open(root);
  const side = (rev: string): FileSource => {
    if (rev === WORKSPACE) return new WorkspaceSource(root);
    const resolved = resolveExperimentOrRevision(git, rev);
    return new RevisionSource(git, resolved.label, resolved.commit);
  };
  if (options.experiment) {
    const [name, ...rest] = revs;
    if (name === undefined || rest.length > 0) {
      throw new MlpError('--experiment compares one experiment with its baseline: name one experiment', { hint: 'e.g. `mlp plots diff -e my-exp`', exitCode: ExitCode.usage });
    }
    const resolved = resolveExperimentOrRevision(git, name);
    if (!resolved.experiment) throw new MlpError(`'${name}' is not an experiment`, { hint: '`mlp exp list` lists the experiments', exitCode: ExitCode.usage });
    return [new RevisionSource(git, resolved.experiment.baseline.slice(0, 7), resolved.experiment.baseline), new RevisionSource(git, resolved.label, resolved.commit)];
  }
  if (revs.length === 0) return [side('HEAD'), new WorkspaceSource(root)];
  if (revs.length === 1) return [side(revs[0] as string), new WorkspaceSource(root)];
  return revs.map(side);
}
