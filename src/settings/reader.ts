import * as vscode from 'vscode';
import { DEFAULT_REFLECTION_PHRASE } from '../dataset/annotations';
import { type SettingKey, type Settings, settingProblem, settingsSchema } from './schema';

/**
 * A `cotStudio.*` setting for `scope` (a file, for settings a folder may set), its manifest default when unset,
 * validated: a wrong value is an error naming the setting, never a value the code was not written for.
 */
export function readSetting<K extends SettingKey>(key: K, scope?: vscode.Uri): Settings[K] {
  const parsed = settingsSchema.shape[key].safeParse(vscode.workspace.getConfiguration('cotStudio', scope).get(key));
  if (!parsed.success) throw new Error(settingProblem(key, parsed.error));
  return parsed.data as Settings[K];
}

/** Whether the user set `key` anywhere (user, workspace or folder), rather than leaving its default. */
export function settingIsSet(key: SettingKey, scope?: vscode.Uri): boolean {
  const inspected = vscode.workspace.getConfiguration('cotStudio', scope).inspect(key);
  return inspected?.globalValue !== undefined || inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
}

/** Writes a user setting. */
export async function writeSetting<K extends SettingKey>(key: K, value: Settings[K] | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('cotStudio').update(key, value, vscode.ConfigurationTarget.Global);
}

/** The phrase that opens a reflection step; left empty, the default. */
export function readReflectionPhrase(scope?: vscode.Uri): string {
  return readSetting('reflectionPhrase', scope) || DEFAULT_REFLECTION_PHRASE;
}
