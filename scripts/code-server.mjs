// @ts-check
// code-server 4.100.3 is VS Code 1.100.3 with its extension host in plain Node. It installs from the npm
// registry, so tests and `npm start` get a real VS Code on machines that cannot download VS Code itself.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cacheRoot = path.join(projectRoot, '.cache', `code-server-${CODE_SERVER_VERSION}`);
const packageDir = path.join(cacheRoot, 'node_modules', 'code-server');
export const entryPoint = path.join(packageDir, 'out', 'node', 'entry.js');
const readyMarker = path.join(cacheRoot, '.ready');

/** What the tests need from the system, and how to get it on Debian. */
const systemRequirements = () => [
  { what: 'ripgrep (rg)', check: () => which('rg'), install: 'apt-get install -y ripgrep' },
  { what: 'Kerberos headers (krb5-config)', check: () => which('krb5-config'), install: 'apt-get install -y libkrb5-dev' },
  { what: `Chromium (${chromiumPath()})`, check: () => fs.existsSync(chromiumPath()), install: 'apt-get install -y chromium (or set CHROMIUM_PATH)' },
  // `npm rebuild` compiles code-server's native modules with node-gyp.
  {
    what: 'a native build toolchain (python3, make, g++)',
    check: () => ['python3', 'make', 'g++'].every(which),
    install: 'apt-get install -y build-essential python3',
  },
];

export function chromiumPath() {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/** @param {string} command */
function which(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Throws one message that lists every missing system dependency with its install command. */
export function checkSystemRequirements() {
  const missing = systemRequirements().filter((r) => !r.check());
  if (missing.length === 0) return;
  const lines = missing.map((r) => `  - ${r.what}: ${r.install}`);
  throw new Error(
    `Missing system dependencies for the VS Code tests:\n${lines.join('\n')}\n` +
      'On Debian 12: sudo apt-get update && sudo apt-get install -y libkrb5-dev ripgrep chromium build-essential python3',
  );
}

/**
 * @param {string} cwd
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env]
 */
function npm(cwd, args, env = {}) {
  execFileSync('npm', args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false', ...env },
  });
}

/** @param {string} target @param {string} link */
function relink(target, link) {
  fs.rmSync(link, { force: true, recursive: true });
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link);
}

/**
 * Installs code-server into the project's cache folder once, without any download outside the npm
 * registry (its own postinstall fetches ripgrep from GitHub, so the system rg is linked in instead).
 * @param {(line: string) => void} [log]
 */
export function ensureCodeServer(log = (line) => console.error(line)) {
  checkSystemRequirements();
  if (fs.existsSync(readyMarker) && fs.existsSync(entryPoint)) return entryPoint;
  const started = Date.now();
  log(`Installing code-server ${CODE_SERVER_VERSION} into ${path.relative(projectRoot, cacheRoot)} (once, about 2-4 minutes)...`);
  fs.rmSync(cacheRoot, { recursive: true, force: true });
  fs.mkdirSync(cacheRoot, { recursive: true });
  fs.writeFileSync(path.join(cacheRoot, 'package.json'), JSON.stringify({ name: 'code-server-cache', private: true }));
  npm(cacheRoot, ['install', '--ignore-scripts', '--no-save', `code-server@${CODE_SERVER_VERSION}`]);
  const vscodeDir = path.join(packageDir, 'lib', 'vscode');
  npm(vscodeDir, ['install', '--omit=dev', '--ignore-scripts']);
  const rgBin = execFileSync('sh', ['-c', 'command -v rg']).toString().trim();
  relink(rgBin, path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'));
  npm(vscodeDir, ['rebuild'], { npm_config_yes: 'true' });
  relink('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  relink('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  relink('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
  npm(path.join(vscodeDir, 'extensions'), ['install', '--omit=dev']);
  npm(cacheRoot, ['rebuild', 'argon2']);
  fs.writeFileSync(readyMarker, new Date().toISOString());
  log(`code-server ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return entryPoint;
}

/**
 * A user-data and extensions folder: a fresh temporary one by default so that test runs never share
 * state, or the given folder (kept between runs); `settings` are added to the user settings.
 * @param {string} [root]
 * @param {Record<string, unknown>} [settings]
 */
export function makeProfile(root = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-')), settings = {}) {
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        ...settings,
      },
      null,
      2,
    ),
  );
  return { root, userDataDir, extensionsDir };
}

/** @param {{ userDataDir: string, extensionsDir: string }} profile @param {string} vsix */
export function installVsix(profile, vsix) {
  return execFileSync(
    process.execPath,
    [entryPoint, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir, '--install-extension', vsix],
    { encoding: 'utf8' },
  );
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server on 127.0.0.1 and resolves once it answers HTTP.
 * @param {{ userDataDir: string, extensionsDir: string }} profile
 * @param {{ folder: string, port?: number, locale?: string, env?: Record<string, string>, log?: (chunk: string) => void }} options
 */
export async function startCodeServer(profile, { folder, port, locale, env, log }) {
  const chosenPort = port ?? /** @type {number} */ (await freePort());
  const child = spawn(
    process.execPath,
    [
      entryPoint,
      '--bind-addr',
      `127.0.0.1:${chosenPort}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--user-data-dir',
      profile.userDataDir,
      '--extensions-dir',
      profile.extensionsDir,
      ...(locale ? ['--locale', locale] : []),
      folder,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32', env: { ...process.env, ...env } },
  );
  let output = '';
  const collect = (/** @type {Buffer} */ chunk) => {
    output += chunk.toString();
    log?.(chunk.toString());
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const url = `http://127.0.0.1:${chosenPort}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (Date.now() >= deadline) throw new Error(`code-server did not answer on ${url} within 60 s:\n${output}`);
  return {
    url,
    port: chosenPort,
    pid: child.pid,
    output: () => output,
    stop: () => stopProcessTree(child),
  };
}

/** @param {import('node:child_process').ChildProcess} child */
export function stopProcessTree(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.pid === undefined) return resolve(undefined);
    child.once('exit', () => resolve(undefined));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
    setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000).unref();
  });
}

/** Flags that keep Chromium from reaching the network these machines do not have. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensureCodeServer());
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
