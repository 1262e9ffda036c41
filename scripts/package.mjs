// @ts-check
// Writes a platform-specific VSIX: `npm run package [-- --target linux-x64|linux-arm64|darwin-arm64|win32-x64|win32-arm64]`.
// Only the target's onnxruntime and sharp binaries go in, which keeps a linux-x64 VSIX near 29 MB instead of 100+.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from './code-server.mjs';

const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];

export function vsixPath(target = 'linux-x64') {
  const { version } = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
  return path.join(projectRoot, `cot-studio-${target}-${version}.vsix`);
}

/**
 * sharp's native packages for the target (npm installs only the build machine's): its binding, and libvips where
 * the target has it apart (Windows builds it in).
 * @param {string} platform @param {string} arch @returns {string[]}
 */
function sharpPackages(platform, arch) {
  const binding = `node_modules/@img/sharp-${platform}-${arch}`;
  const libvips = `node_modules/@img/sharp-libvips-${platform}-${arch}`;
  if (!fs.existsSync(path.join(projectRoot, binding))) {
    throw new Error(
      `sharp has no binaries for ${platform}-${arch} (looked in ${binding}); fetch them with ` +
        `npm install --no-save --os=${platform} --cpu=${arch} @img/sharp-${platform}-${arch}${platform === 'win32' ? '' : ` @img/sharp-libvips-${platform}-${arch}`}`,
    );
  }
  return [binding, ...(fs.existsSync(path.join(projectRoot, libvips)) ? [libvips] : [])];
}

/** @param {{ target?: string, skipBuild?: boolean }} [options] */
export function packageVsix({ target = 'linux-x64', skipBuild = false } = {}) {
  if (!TARGETS.includes(target)) throw new Error(`unknown target '${target}'; choose one of ${TARGETS.join(', ')}`);
  const [platform, arch] = target.split('-');
  const binaries = path.join(projectRoot, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', platform, arch);
  if (!fs.existsSync(binaries)) throw new Error(`onnxruntime-node has no binaries for ${target} (looked in ${binaries})`);
  const images = sharpPackages(platform, arch);
  if (!skipBuild) execFileSync(process.execPath, [path.join(projectRoot, 'esbuild.js'), '--production'], { cwd: projectRoot, stdio: 'inherit' });
  const ignoreFile = path.join(projectRoot, '.cache', `vscodeignore-${target}`);
  fs.mkdirSync(path.dirname(ignoreFile), { recursive: true });
  const rules = fs.readFileSync(path.join(projectRoot, '.vscodeignore'), 'utf8');
  const included = [`node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}`, ...images].map((folder) => `!${folder}/**\n`).join('');
  fs.writeFileSync(ignoreFile, `${rules}${included}`);
  const output = vsixPath(target);
  const vsce = path.join(projectRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--allow-missing-repository', '--out', output], {
    cwd: projectRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return output;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const { values } = parseArgs({ options: { target: { type: 'string', default: 'linux-x64' } } });
  try {
    const output = packageVsix({ target: values.target });
    console.log(`${path.relative(process.cwd(), output)}: ${(fs.statSync(output).size / 1e6).toFixed(1)} MB`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
