import type { Node } from 'jsonc-parser';
import { getNodePath } from 'jsonc-parser';
import type { LineTree } from './lineTree';
import type { RecordShape } from './recordShape';
import type { Finding } from './result';

const isJsonSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

/**
 * At least the number of keys the line spells: each is a colon after an unescaped quote (JSON whitespace
 * between). A quote after an odd run of backslashes is escaped, inside a string, and not counted; a colon
 * in a string right after its opening quote is, which only makes the bound higher.
 */
function spelledKeyBound(text: string): number {
  let count = 0;
  for (let colon = text.indexOf(':'); colon !== -1; colon = text.indexOf(':', colon + 1)) {
    let quote = colon - 1;
    while (quote >= 0 && isJsonSpace(text.charCodeAt(quote))) quote--;
    if (text.charCodeAt(quote) !== 0x22) continue;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) count++;
  }
  return count;
}

function* objects(node: Node): Generator<Node> {
  if (node.type === 'object') yield node;
  for (const child of node.children ?? []) yield* objects(child);
}

/**
 * Keys an object gives more than once: JSON.parse keeps the last value and drops the others without a word.
 * The parsed record holds one key fewer for each repeat, so only a line that spells more keys than its
 * record has is walked.
 */
export function duplicateKeyFindings(text: string, shape: RecordShape, tree: LineTree): Finding[] {
  if (spelledKeyBound(text) <= shape.keys || !tree.root) return [];
  const findings: Finding[] = [];
  for (const object of objects(tree.root)) {
    const seen = new Map<string, Node[]>();
    for (const property of object.children ?? []) {
      const key = property.children?.[0];
      if (typeof key?.value !== 'string') continue;
      seen.set(key.value, [...(seen.get(key.value) ?? []), key]);
    }
    for (const [name, keys] of seen) {
      if (keys.length < 2) continue;
      const repeat = keys[1];
      findings.push({
        check: 'duplicate-key',
        severity: 'warning',
        field: [...getNodePath(object), name],
        problem: `the key ${JSON.stringify(name)} is given ${keys.length} times in one object; JSON readers keep only the last value and drop the others unseen`,
        at: [repeat.offset, repeat.offset + repeat.length],
      });
    }
  }
  return findings;
}
