import { findNodeAtLocation, findNodeAtOffset, getNodePath, type Node, parseTree } from 'jsonc-parser';
import type { JsonPath } from '../record';

/**
 * Finds where fields stand in the raw line text (offsets count a leading BOM or spaces as they are). The
 * tree is built on first use: only a record with a finding needs it, and most records have none.
 */
export class LineTree {
  private parsed: { root: Node | undefined } | undefined;

  constructor(private readonly lineText: string) {}

  /** The line's syntax tree, every property kept (a key given twice is two properties). */
  get root(): Node | undefined {
    this.parsed ??= { root: parseTree(this.lineText) };
    return this.parsed.root;
  }

  /**
   * [start, end) of the value at `path`; for a string, its literal with the quotes. For a field the record
   * lacks, the nearest value on the path that it has (the object missing the field).
   */
  range(path: JsonPath): [number, number] | undefined {
    const root = this.root;
    if (!root) return undefined;
    for (let length = path.length; length >= 0; length--) {
      const node = findNodeAtLocation(root, path.slice(0, length));
      if (node) return [node.offset, node.offset + node.length];
    }
    return undefined;
  }

  /** The value at `path` as the line spells it. */
  spelling(path: JsonPath): string | undefined {
    const range = this.range(path);
    return range && this.lineText.slice(...range);
  }

  /** The path of the innermost value at an offset of the line, or undefined outside the record's values. */
  pathAt(offset: number): JsonPath | undefined {
    const node = this.root && findNodeAtOffset(this.root, offset);
    return node ? getNodePath(node) : undefined;
  }

  /** The path of the first string equal to `value`: names a field the parsed record holds only by value. */
  pathOfString(value: string): JsonPath | undefined {
    const search = (node: Node): Node | undefined =>
      node.type === 'string' && node.value === value ? node : node.children?.reduce<Node | undefined>((found, child) => found ?? search(child), undefined);
    const node = this.root && search(this.root);
    return node ? getNodePath(node) : undefined;
  }
}
