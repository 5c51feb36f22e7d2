/** Data from another repository: its committed remote config cannot point mlp at this machine's secrets. */
import { withoutLocalReferences } from '../../src/remote/repo-import.js';

test("options naming this machine's secrets or files are dropped from another repository's remote", () => {
  const options = { user: 'git', port: 2222, password_env: 'AWS_SECRET_ACCESS_KEY', password: 'x', key_file: '~/.ssh/id_rsa', known_hosts: '/dev/null', region: 'eu-west-1', access_key_id_env: 'HOME' };
  expect(withoutLocalReferences(options)).toEqual({ user: 'git', port: 2222, region: 'eu-west-1' });
});
