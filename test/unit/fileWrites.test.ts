import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { atomicWrite, WriteError } from '../../src/files/atomicWrite';
import { fileIdentity } from '../../src/files/fileIdentity';
import { LockedError, withFileLock } from '../../src/files/fileLock';
import { HOST } from '../../src/files/processes';
import { checkWriteTarget, TargetError } from '../../src/files/writeTarget';
import { leftoverTemporaries, mountSmallDisk, PAGE, type SmallDisk, smallDiskUnavailable } from '../harness/smallDisk';
import { scratchFolder } from '../harness/scratch';

const scratch = (): string => scratchFolder('cot-studio-files-');

/** A process id that no process has: a child that has exited. */
function deadPid(): number {
  const pid = spawn(process.execPath, ['-e', '0']).pid;
  assert.ok(pid);
  execFileSync(process.execPath, ['-e', 'setTimeout(() => {}, 200)']);
  return pid;
}

describe('write targets', () => {
  it('refuses the input as output, also through a link or another spelling of its path', async () => {
    const dir = scratch();
    const input = path.join(dir, 'data.jsonl');
    fs.writeFileSync(input, '{}\n');
    fs.symlinkSync(input, path.join(dir, 'link.jsonl'));
    for (const output of [input, path.join(dir, '.', 'data.jsonl'), path.join(dir, 'link.jsonl')]) {
      await assert.rejects(
        checkWriteTarget(output, { notSameAs: [input], replaceSpecial: true }),
        (error: Error) => error instanceof TargetError && /is the input .*data\.jsonl/.test(error.message),
      );
    }
    assert.equal(await checkWriteTarget(path.join(dir, 'out.jsonl'), { notSameAs: [input] }), path.join(dir, 'out.jsonl'));
  });

  it('refuses a folder, a FIFO and a symbolic link unless asked, and a missing folder always', async () => {
    const dir = scratch();
    fs.mkdirSync(path.join(dir, 'folder'));
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    fs.writeFileSync(path.join(dir, 'elsewhere.jsonl'), 'theirs\n');
    fs.symlinkSync(path.join(dir, 'elsewhere.jsonl'), path.join(dir, 'link.jsonl'));
    await assert.rejects(checkWriteTarget(path.join(dir, 'folder'), { replaceSpecial: true }), /is a folder; not replaced/);
    await assert.rejects(checkWriteTarget(path.join(dir, 'fifo')), /is a FIFO \(named pipe\); not replaced \(--force/);
    await assert.rejects(checkWriteTarget(path.join(dir, 'link.jsonl')), /is a symbolic link to .*elsewhere\.jsonl; not replaced/);
    await assert.rejects(checkWriteTarget(path.join(dir, 'missing', 'out.jsonl')), /the folder .*missing does not exist/);
    assert.equal(await checkWriteTarget(path.join(dir, 'fifo'), { replaceSpecial: true }), path.join(dir, 'fifo'));
    assert.equal(await checkWriteTarget(path.join(dir, 'link.jsonl'), { followLinks: true }), path.join(dir, 'elsewhere.jsonl'));
    await atomicWrite(path.join(dir, 'link.jsonl'), [Buffer.from('mine\n')], { followLinks: true });
    assert.equal(fs.readFileSync(path.join(dir, 'elsewhere.jsonl'), 'utf8'), 'mine\n', 'written through the link');
    assert.ok(fs.lstatSync(path.join(dir, 'link.jsonl')).isSymbolicLink(), 'the link stays');
    await atomicWrite(path.join(dir, 'fifo'), [Buffer.from('now a file\n')], { replaceSpecial: true });
    assert.ok(fs.lstatSync(path.join(dir, 'fifo')).isFile());
  });
});

describe('atomicWrite', () => {
  it('stops when the target changed after it was read, and leaves the change', async () => {
    const dir = scratch();
    const target = path.join(dir, 'data.jsonl');
    fs.writeFileSync(target, 'read\n');
    const expected = await fileIdentity(target);
    assert.ok(expected);
    fs.writeFileSync(target, 'another program\n');
    await assert.rejects(
      atomicWrite(target, [Buffer.from('mine\n')], { expected }),
      (error: Error) => error instanceof WriteError && /data\.jsonl: it was changed by another program after it was read/.test(error.message),
    );
    assert.equal(fs.readFileSync(target, 'utf8'), 'another program\n');
    assert.deepEqual(leftoverTemporaries(dir), []);
    await assert.rejects(atomicWrite(path.join(dir, 'new.jsonl'), [Buffer.from('x')], { expected }), /was created by another program|was deleted/);
    await atomicWrite(path.join(dir, 'new.jsonl'), [Buffer.from('x')], { expected: 'missing' });
  });

  it('removes temporary files a killed write of this machine left, and keeps those of running processes and other machines', async () => {
    const dir = scratch();
    const dead = `.data.jsonl.cot-studio-${HOST}-${deadPid()}-0a1b2c3d.tmp`;
    const running = `.data.jsonl.cot-studio-${HOST}-${process.pid}-0a1b2c3d.tmp`;
    const otherHost = `.data.jsonl.cot-studio-elsewhere-${deadPid()}-0a1b2c3d.tmp`;
    const notOurs = '.data.jsonl.1a2b3c.tmp';
    for (const name of [dead, running, otherHost, notOurs]) fs.writeFileSync(path.join(dir, name), 'partial');
    await atomicWrite(path.join(dir, 'other.jsonl'), [Buffer.from('x\n')]);
    assert.deepEqual(fs.readdirSync(dir).sort(), [running, otherHost, notOurs, 'other.jsonl'].sort());
  });
});

describe('file locks', () => {
  it('lets one holder at a time write, and the second waits for the first', async () => {
    const dir = scratch();
    const target = path.join(dir, 'data.jsonl');
    const order: string[] = [];
    let release: () => void = () => undefined;
    const first = withFileLock(target, { purpose: 'first' }, async () => {
      order.push('first in');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('first out');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lockFile = path.join(dir, '.data.jsonl.cot-studio.lock');
    assert.equal(JSON.parse(fs.readFileSync(lockFile, 'utf8')).purpose, 'first');
    await assert.rejects(
      withFileLock(target, { purpose: 'impatient' }, async () => undefined),
      (error: Error) => error instanceof LockedError && new RegExp(`data\\.jsonl is being written by first \\(pid ${process.pid}, since `).test(error.message),
    );
    const second = withFileLock(target, { purpose: 'second', waitMs: 30_000 }, async () => {
      order.push('second');
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(order, ['first in'], 'the second holder waits');
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first in', 'first out', 'second']);
    assert.ok(!fs.existsSync(lockFile), 'the lock is gone once released');
  });

  it('takes over a lock whose holder died, and one left unreadable long ago', async () => {
    const dir = scratch();
    const target = path.join(dir, 'data.jsonl');
    const lockFile = path.join(dir, '.data.jsonl.cot-studio.lock');
    fs.writeFileSync(lockFile, JSON.stringify({ pid: deadPid(), host: HOST, purpose: 'killed', since: 'then' }));
    assert.equal(await withFileLock(target, { purpose: 'next' }, async () => 'ran'), 'ran');
    fs.writeFileSync(lockFile, '');
    await assert.rejects(
      withFileLock(target, { purpose: 'next' }, async () => 'ran'),
      /being written by another process/,
      'a lock being written right now is respected',
    );
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockFile, old, old);
    assert.equal(await withFileLock(target, { purpose: 'next' }, async () => 'ran'), 'ran');
    fs.writeFileSync(lockFile, JSON.stringify({ pid: 1, host: 'elsewhere', purpose: 'another machine', since: 'then' }));
    await assert.rejects(
      withFileLock(target, { purpose: 'next' }, async () => 'ran'),
      /being written by another machine \(pid 1 on elsewhere/,
    );
  });
});

const diskUnavailable = smallDiskUnavailable();

describe('a disk that fills while writing', { skip: diskUnavailable }, () => {
  let disk: SmallDisk;
  before(() => {
    disk = mountSmallDisk(512 * 1024);
  });
  after(() => disk.unmount());

  it('keeps the old file, names the target and leaves nothing behind at every page the new one could stop at', async () => {
    const target = path.join(disk.dir, 'data.jsonl');
    const old = Buffer.from('{"old": true}\n'.repeat(100));
    const next = Buffer.from('{"new": "content"}\n'.repeat(3000));
    const chunks = (): Buffer[] => Array.from({ length: Math.ceil(next.length / 10_000) }, (_, i) => next.subarray(i * 10_000, (i + 1) * 10_000));
    const pages = Math.ceil(next.length / PAGE);
    let failed = 0;
    for (let free = 0; free <= pages + 1; free++) {
      disk.drain();
      fs.writeFileSync(target, old);
      disk.leaveFree(free);
      const outcome = await atomicWrite(target, chunks()).then(
        () => 'written',
        (error: Error) => error,
      );
      disk.drain();
      if (outcome === 'written') {
        assert.ok(fs.readFileSync(target).equals(next), `${free} pages free: a write that reports success wrote every byte`);
      } else {
        failed++;
        assert.ok(outcome instanceof WriteError, `${free} pages free: ${String(outcome)}`);
        assert.match(outcome.message, /cannot write .*data\.jsonl: the disk is full \(ENOSPC\); the file was left as it was/);
        assert.doesNotMatch(outcome.message, /\.tmp/);
        assert.ok(fs.readFileSync(target).equals(old), `${free} pages free: the old file stays`);
      }
      assert.deepEqual(leftoverTemporaries(disk.dir), [], `${free} pages free: no temporary file stays`);
    }
    assert.equal(failed, pages, 'every free space short of the new file fails; enough space succeeds');
  });

  it('names the target, not its temporary file, when the disk is read-only', async () => {
    disk.drain();
    const target = path.join(disk.dir, 'data.jsonl');
    fs.writeFileSync(target, 'old\n');
    execFileSync('mount', ['-o', 'remount,ro', disk.dir]);
    try {
      await assert.rejects(
        atomicWrite(target, [Buffer.from('new\n')]),
        (error: Error) => error.message.startsWith(`cannot write ${target}: the file system is read-only (EROFS)`) && !error.message.includes('.tmp'),
      );
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', disk.dir]);
    }
    assert.equal(fs.readFileSync(target, 'utf8'), 'old\n');
  });
});
