import * as path from 'node:path';
import * as vscode from 'vscode';

/** A `uri` argument: a URI string (`file:///...`, `vscode-remote://...`) or a plain file path. */
export function uriFromArgument(value: string): vscode.Uri {
  return /^[a-z][\w+.-]*:/i.test(value) && !path.isAbsolute(value) ? vscode.Uri.parse(value) : vscode.Uri.file(value);
}
