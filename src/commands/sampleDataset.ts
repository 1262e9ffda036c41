import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DATASET_VIEW_TYPE } from '../editor';

/** The sample the walkthrough opens first: LLaVA-CoT stages beside their images. */
const FIRST_SAMPLE = 'llava_cot.jsonl';

/**
 * Opens the bundled sample datasets in the dataset editor. They are copied once into the extension's storage,
 * writable, so that edits, ratings and saves work and survive a restart; the VSIX's own copy stays as shipped.
 */
export async function openSampleDataset(context: vscode.ExtensionContext): Promise<vscode.Uri> {
  const source = path.join(context.extensionPath, 'dist', 'samples');
  const target = path.join(context.globalStorageUri.fsPath, 'samples');
  if (!fs.existsSync(path.join(target, FIRST_SAMPLE))) {
    if (!fs.existsSync(path.join(source, FIRST_SAMPLE)))
      throw new Error(vscode.l10n.t('the sample datasets are missing from {0}: reinstall CoT Studio', source));
    fs.cpSync(source, target, { recursive: true });
    for (const name of fs.readdirSync(target, { recursive: true, encoding: 'utf8' })) {
      const file = path.join(target, name);
      fs.chmodSync(file, fs.statSync(file).isDirectory() ? 0o755 : 0o644);
    }
  }
  const uri = vscode.Uri.file(path.join(target, FIRST_SAMPLE));
  await vscode.commands.executeCommand('vscode.openWith', uri, DATASET_VIEW_TYPE);
  return uri;
}
