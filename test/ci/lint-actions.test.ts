/** .ci/lint-actions.mjs: actionlint over the workflows, and over action.yml turned into a workflow. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, tempDir, writeFiles } from '../helpers/cli.js';

function lint(...files: string[]): { code: number; output: string } {
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, '.ci/lint-actions.mjs'), ...files], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return { code: result.status ?? -1, output: result.stdout + result.stderr };
}

describe('lint:actions', () => {
  test("the repository's workflows and action.yml pass", () => {
    const result = lint();
    expect(result.output).toContain('.github/workflows/ci.yml, .github/workflows/pipeline.yml, .github/workflows/release.yml, .github/workflows/retrain.yml, action.yml), 0 problem(s)');
    expect(result.code).toBe(0);
  });

  test("the README's copy-paste workflow passes too", () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## GitHub Actions'));
    const snippets = [...section.matchAll(/```yaml\n([^]*?)```/g)].map((m) => m[1] ?? '');
    expect(snippets.length).toBeGreaterThan(0);
    const dir = tempDir();
    const files = snippets.map((text, i) => {
      const file = path.join(dir, `readme-${i}.yml`);
      fs.writeFileSync(file, text);
      return file;
    });
    const result = lint(...files);
    expect(result.output).toContain('0 problem(s)');
    expect(result.code).toBe(0);
  });

  test('reports workflow problems and action metadata problems, including expressions inside the action', () => {
    const dir = tempDir();
    writeFiles(dir, {
      'wf.yml': 'on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n',
      'action.yml': [
        'name: x',
        'description: y',
        'inputs:',
        '  command: {description: c, default: ""}',
        'outputs:',
        '  out: {description: o, value: "${{ steps.nope.outputs.v }}"}',
        'runs:',
        '  using: composite',
        '  steps:',
        '    - run: echo hi',
        '    - shell: bash',
        '      run: echo "${{ inputs.comand }}"',
        '    - uses: actions/checkout@v4',
        '      with: {not-an-input: 1}',
        '',
      ].join('\n'),
    });
    const result = lint(path.join(dir, 'wf.yml'), path.join(dir, 'action.yml'));
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/wf\.yml:6:\d+: "github\.event\.pull_request\.title" is potentially untrusted/);
    expect(result.output).toContain('step 1: a composite action\'s run step needs "shell"');
    expect(result.output).toContain('"inputs.comand" is used but not declared under inputs');
    expect(result.output).toContain('output "out" refers to step id "nope", which no step has');
    expect(result.output).toMatch(/property "comand" is not defined/);
    expect(result.output).toMatch(/input "not-an-input" is not defined in action "actions\/checkout@v4"/);
  });
});
