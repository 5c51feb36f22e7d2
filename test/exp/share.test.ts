/** exp push/pull: a remote is given to git as an argument, never as an option. */
import fs from 'node:fs';
import { fetchExperimentRefs, pushExperimentRefs, remoteExperiments } from '../../src/exp/share.js';
import { GitRepo } from '../../src/git/git.js';
import { makeRepo } from '../helpers/cli.js';
import { thrownMlpError } from '../helpers/errors.js';

test('a remote that starts with - is a usage error before git runs', () => {
  const dir = makeRepo({ 'a.txt': 'a\n' });
  try {
    const git = GitRepo.open(dir);
    const experiment = { name: 'e', ref: 'refs/exps/aa/bb/e', commit: 'c'.repeat(40) } as Parameters<typeof pushExperimentRefs>[2][number];
    for (const call of [() => pushExperimentRefs(git, '--upload-pack=touch x', [experiment], false), () => remoteExperiments(git, '-oProxyCommand=x'), () => fetchExperimentRefs(git, '--exec=x', [experiment], false)]) {
      const error = thrownMlpError(call);
      expect([error.exitCode, error.message.startsWith('invalid git remote')]).toEqual([2, true]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
