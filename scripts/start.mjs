// @ts-check
// `npm start`: build, package the VSIX, and open the sample datasets in VS Code (when a `code` CLI is on
// the PATH) or in the cached code-server on 127.0.0.1, printing the address to open.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureCodeServer, freePort, installVsix, makeProfile, projectRoot, startCodeServer } from './code-server.mjs';
import { packageVsix } from './package.mjs';

const samplesSource = path.join(projectRoot, 'test', 'fixtures', 'datasets');
const sampleWorkspace = path.join(projectRoot, '.cache', 'sample-workspace');
const firstDataset = path.join(sampleWorkspace, 'llava_cot.jsonl');

/** A copy of the samples to play with; kept between runs so edits survive a restart. */
function prepareSampleWorkspace() {
  if (!fs.existsSync(sampleWorkspace)) {
    fs.cpSync(samplesSource, sampleWorkspace, { recursive: true });
    for (const file of fs.readdirSync(sampleWorkspace, { recursive: true, encoding: 'utf8' })) {
      fs.chmodSync(path.join(sampleWorkspace, file), 0o755);
    }
  }
  // In this workspace every JSONL file opens in the dataset editor, not as text. The workspace sits inside
  // the project's git checkout, which is not what the user came to look at.
  const settings = path.join(sampleWorkspace, '.vscode', 'settings.json');
  fs.mkdirSync(path.dirname(settings), { recursive: true });
  const workspaceSettings = { 'workbench.editorAssociations': { '*.jsonl': 'cotStudio.dataset' }, 'git.openRepositoryInParentFolders': 'never' };
  fs.writeFileSync(settings, `${JSON.stringify(workspaceSettings, null, 2)}\n`);
}

function hasCodeCli() {
  return spawnSync('sh', ['-c', 'command -v code'], { stdio: 'ignore' }).status === 0;
}

/** The VSIX for the machine that runs VS Code or code-server here: vsce's targets are named as Node names platforms. */
function packageForHost() {
  const target = `${process.platform}-${process.arch}`;
  try {
    return packageVsix({ target });
  } catch (error) {
    throw new Error(`Could not package CoT Studio for this machine (${target}): ${error instanceof Error ? error.message : error}`);
  }
}

async function main() {
  const vsix = packageForHost();
  console.log(`Packaged ${path.relative(process.cwd(), vsix)} (${(fs.statSync(vsix).size / 1e6).toFixed(1)} MB)`);
  prepareSampleWorkspace();

  if (hasCodeCli() && !process.env.COT_STUDIO_USE_CODE_SERVER) {
    execFileSync('code', ['--install-extension', vsix, '--force'], { stdio: 'inherit' });
    execFileSync('code', [sampleWorkspace, firstDataset], { stdio: 'inherit' });
    console.log(`Opened ${path.relative(process.cwd(), firstDataset)} in VS Code.`);
    return;
  }

  ensureCodeServer();
  const profile = makeProfile(path.join(projectRoot, '.cache', 'start-profile'));
  installVsix(profile, vsix);
  const requestedPort = Number(process.env.COT_STUDIO_PORT ?? 0);
  const port = requestedPort > 0 ? requestedPort : /** @type {number} */ (await freePort());
  const server = await startCodeServer(profile, { folder: sampleWorkspace, port });
  const payload = [['openFile', `vscode-remote://127.0.0.1:${port}${firstDataset}`]];
  const url = `${server.url}/?folder=${encodeURIComponent(sampleWorkspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  console.log(`\nCoT Studio is running in code-server. Open this address in a browser:\n\n  ${url}\n`);
  console.log('Press Ctrl+C to stop.');
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
