import { findNodeAtLocation, getNodePath, getNodeValue, type Node, parseTree } from 'jsonc-parser';
import { isJsonObject, type Json, type JsonObject, type JsonPath } from '../record';

/** Finds where fields stand in the raw line text (offsets count a leading BOM or spaces as they are). */
export class LineTree {
  private readonly root: Node | undefined;

  constructor(lineText: string) {
    this.root = parseTree(lineText);
  }

  /** The record as the tree reads it (the caller has already parsed the line, so it is an object). */
  record(): JsonObject {
    const value: Json = this.root ? getNodeValue(this.root) : null;
    return isJsonObject(value) ? value : {};
  }

  /** [start, end) of the value at `path`; for a string, its literal with the quotes. */
  range(path: JsonPath): [number, number] | undefined {
    const node = this.root && findNodeAtLocation(this.root, path);
    return node ? [node.offset, node.offset + node.length] : undefined;
  }

  /** The path of the first string equal to `value`: names a field the parsed record holds only by value. */
  pathOfString(value: string): JsonPath | undefined {
    const search = (node: Node): Node | undefined =>
      node.type === 'string' && node.value === value ? node : node.children?.reduce<Node | undefined>((found, child) => found ?? search(child), undefined);
    const node = this.root && search(this.root);
    return node ? getNodePath(node) : undefined;
  }
}
