import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultAnnotator } from '../../src/annotators/defaultAnnotator';

describe('the default annotator', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-annotator-'));
  // Neither the machine's nor the user's git configuration may name anyone here.
  process.env.HOME = home;
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  process.env.XDG_CONFIG_HOME = home;
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  it("is the git user of the dataset's repository", async () => {
    const repository = path.join(home, 'repository');
    fs.mkdirSync(path.join(repository, 'data'), { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: repository });
    execFileSync('git', ['config', 'user.name', 'Ana Lima'], { cwd: repository });
    assert.equal(await defaultAnnotator(path.join(repository, 'data')), 'Ana Lima');
  });

  it('is the system user outside a repository, or where git names nobody', async () => {
    const plain = path.join(home, 'plain');
    fs.mkdirSync(plain);
    assert.equal(await defaultAnnotator(plain), os.userInfo().username);
    execFileSync('git', ['init', '-q'], { cwd: plain });
    assert.equal(await defaultAnnotator(plain), os.userInfo().username);
  });
});
