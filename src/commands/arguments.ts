import * as path from 'node:path';
import * as vscode from 'vscode';
import type { z } from 'zod';
import type { DatasetDocument, DatasetRegistry } from '../editor';

/** A `uri` argument: a URI string (`file:///...`, `vscode-remote://...`) or a plain file path. */
export function uriFromArgument(value: string): vscode.Uri {
  return /^[a-z][\w+.-]*:/i.test(value) && !path.isAbsolute(value) ? vscode.Uri.parse(value) : vscode.Uri.file(value);
}

/** A command's arguments, checked against its schema; a mismatch names the command and every bad field. */
export function commandArguments<T extends z.ZodType>(command: string, schema: T, args: unknown): z.output<T> {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ');
  throw new Error(`${command}: invalid arguments (${issues})`);
}

/** The open dataset a command's optional `uri` argument names; the one in the active dataset editor without it. */
export function datasetArgument(datasets: DatasetRegistry, uri: string | undefined): DatasetDocument {
  return datasets.documentFor(uri === undefined ? undefined : uriFromArgument(uri));
}
