import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './fixtures';

type CodeServerModule = typeof import('../../scripts/code-server.mjs', { with: { 'resolution-mode': 'import' }});

/**
 * The code-server helpers shared with `npm start` live in an ES module under scripts/; load it at run
 * time rather than bundling it, so it keeps its own idea of where the project is.
 */
export function loadCodeServer(): Promise<CodeServerModule> {
  return import(pathToFileURL(path.join(projectRoot, 'scripts', 'code-server.mjs')).href) as Promise<CodeServerModule>;
}
