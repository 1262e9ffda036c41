import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { projectRoot } from './fixtures';

/**
 * Bundles a script of test/harness (with the product modules it imports) for a child process to run: a process
 * a test can kill at any moment. The bundle lies under out/ so that its packages load from node_modules.
 */
export function bundleScript(name: string): string {
  const outfile = path.join(projectRoot, 'out', 'test', 'scripts', `${name}.js`);
  buildSync({
    entryPoints: [path.join(projectRoot, 'test', 'harness', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}
