import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { type SettingKey, settingsSchema } from '../../src/settings/schema';
import { projectRoot } from '../harness/fixtures';

const schemaNodeSchema = z.record(z.string(), z.unknown());
type SchemaNode = z.infer<typeof schemaNodeSchema>;

const manifestSchema = z.object({
  capabilities: z.object({ untrustedWorkspaces: z.object({ restrictedConfigurations: z.array(z.string()) }) }),
  contributes: z.object({
    commands: z.array(z.object({ command: z.string() })),
    menus: z.object({ commandPalette: z.array(z.object({ command: z.string(), when: z.string() })) }),
    configuration: z.object({ properties: z.record(z.string(), schemaNodeSchema) }),
    walkthroughs: z.array(
      z.object({
        steps: z.array(z.object({ id: z.string(), description: z.string(), media: z.object({ markdown: z.string() }), completionEvents: z.array(z.string()) })),
      }),
    ),
  }),
});

const nls = z.record(z.string(), z.string()).parse(JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.nls.json'), 'utf8')));

/** The manifest as VS Code shows it in English: each `%key%` replaced by its text in package.nls.json. */
function localized(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/^%([\w.-]+)%$/, (reference, key: string) => nls[key] ?? reference);
  if (Array.isArray(value)) return value.map(localized);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, localized(item)]));
  return value;
}

const manifest = manifestSchema.parse(localized(JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'))));
const settings = manifest.contributes.configuration.properties;

/** Every object in a setting's JSON schema, the schema itself included. */
function* schemaNodes(value: unknown): Generator<SchemaNode> {
  if (Array.isArray(value)) {
    for (const item of value) yield* schemaNodes(item);
    return;
  }
  const node = schemaNodeSchema.safeParse(value);
  if (!node.success) return;
  yield node.data;
  for (const child of Object.values(node.data)) yield* schemaNodes(child);
}

/** Words that name a place to send data to or to load from. */
const TARGET_NAME = /url|uri|endpoint|server|host|path|root|dir|folder|file|model|polic|judge|command|executable/i;
const TARGET_DESCRIPTION = /\b(url|uri|endpoint|server|host|folder|directory|path)s?\b/i;

/**
 * A setting that a workspace could point somewhere: it holds free text (a string without an enum, anywhere
 * in its schema), and its name, the names of its fields, its description or a `format: uri` says what for.
 */
function namesATarget(name: string, schema: SchemaNode): boolean {
  const nodes = [...schemaNodes(schema)];
  const freeText = nodes.some((node) => (node.type === 'string' || (Array.isArray(node.type) && node.type.includes('string'))) && node.enum === undefined);
  if (!freeText) return false;
  const fieldNames = nodes.flatMap((node) => Object.keys(schemaNodeSchema.catch({}).parse(node.properties)));
  const description = [schema.description, schema.markdownDescription].map((text) => z.string().catch('').parse(text)).join(' ');
  return (
    TARGET_NAME.test(name.split('.').at(-1) ?? name) ||
    fieldNames.some((field) => TARGET_NAME.test(field)) ||
    TARGET_DESCRIPTION.test(description) ||
    nodes.some((node) => node.format === 'uri' || node.format === 'uri-reference')
  );
}

describe('manifest', () => {
  const restricted = new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations);

  it('restricts in untrusted workspaces every setting that names a server, a model or a path', () => {
    const targets = Object.entries(settings)
      .filter(([name, schema]) => namesATarget(name, schema))
      .map(([name]) => name);
    // The heuristic must see the settings it exists for, or it proves nothing.
    for (const known of [
      'cotStudio.openai.baseUrl',
      'cotStudio.engine.model',
      'cotStudio.imageRoots',
      'cotStudio.mcts.policies',
      'cotStudio.mcts.judges',
      'cotStudio.rewardModel.model',
    ]) {
      assert.ok(targets.includes(known), `${known} is not recognized as naming a target`);
    }
    assert.deepEqual(
      targets.filter((name) => !restricted.has(name)),
      [],
      'add these to capabilities.untrustedWorkspaces.restrictedConfigurations',
    );
  });

  it('reads every contributed setting through one typed schema, and the schema takes what the manifest offers', () => {
    const contributed = Object.keys(settings).map((name) => name.replace(/^cotStudio\./, ''));
    assert.deepEqual(Object.keys(settingsSchema.shape).sort(), contributed.sort());
    for (const [name, node] of Object.entries(settings)) {
      const key = name.replace(/^cotStudio\./, '') as SettingKey;
      const schema = settingsSchema.shape[key];
      assert.ok(schema.safeParse(node.default).success, `${name}: its default ${JSON.stringify(node.default)}`);
      const offered = z.array(z.unknown()).safeParse(node.enum);
      for (const value of offered.success ? offered.data : []) assert.ok(schema.safeParse(value).success, `${name}: ${JSON.stringify(value)}`);
      if (offered.success) assert.equal(schema.safeParse('no-such-choice').success, false, `${name} refuses what the manifest does not offer`);
      const minimum = z.number().safeParse(node.minimum);
      if (minimum.success) assert.equal(schema.safeParse(minimum.data - 1).success, false, `${name} refuses ${minimum.data - 1}`);
      const maximum = z.number().safeParse(node.maximum);
      if (maximum.success) assert.equal(schema.safeParse(maximum.data + 1).success, false, `${name} refuses ${maximum.data + 1}`);
    }
  });

  it('restricts only settings it contributes', () => {
    assert.deepEqual(
      [...restricted].filter((name) => !(name in settings)),
      [],
    );
  });

  it('puts only contributed commands in the command palette menu, each once', () => {
    const contributed = new Set(manifest.contributes.commands.map((entry) => entry.command));
    const listed = manifest.contributes.menus.commandPalette.map((entry) => entry.command);
    assert.deepEqual(
      listed.filter((command) => !contributed.has(command)),
      [],
    );
    assert.equal(new Set(listed).size, listed.length);
  });

  it('gives every walkthrough step a button that runs a command, media that exists, and completion on what it contributes or sets', () => {
    const sources = fs
      .readdirSync(path.join(projectRoot, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => fs.readFileSync(path.join(projectRoot, 'src', file), 'utf8'))
      .join('\n');
    const contextKeys = new Set([...sources.matchAll(/_CONTEXT = '(cotStudio\.[\w.]+)'/g)].map((match) => match[1] as string));
    const contributed = new Set(manifest.contributes.commands.map((entry) => entry.command));
    const steps = manifest.contributes.walkthroughs.flatMap((walkthrough) => walkthrough.steps);
    assert.ok(steps.length >= 5);
    for (const step of steps) {
      const commands = [...step.description.matchAll(/\]\(command:([\w.]+)/g)].map((match) => match[1] as string);
      assert.ok(commands.length > 0, `${step.id} has a button`);
      // A step's button runs one of ours, or VS Code's own settings editor opened at our settings.
      for (const command of commands) assert.ok(contributed.has(command) || command === 'workbench.action.openSettings', `${step.id}: ${command}`);
      assert.ok(fs.existsSync(path.join(projectRoot, step.media.markdown)), `${step.id}: ${step.media.markdown}`);
      for (const event of step.completionEvents) {
        const [kind, name = ''] = event.split(':');
        const known =
          (kind === 'onCommand' && contributed.has(name)) ||
          (kind === 'onSettingChanged' && name in settings) ||
          // A context key the extension sets itself.
          (kind === 'onContext' && contextKeys.has(name));
        assert.ok(known, `${step.id}: ${event}`);
      }
    }
  });
});
