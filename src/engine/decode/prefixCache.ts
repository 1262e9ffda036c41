import type { KvCache } from './kvCache';

/** The KV cache of one token sequence (batch 1). */
interface Snapshot {
  tokens: readonly number[];
  kv: KvCache;
  /** Leases in use; a leased snapshot is never evicted. */
  refs: number;
  lastUsed: number;
}

interface TrieNode {
  children: Map<number, TrieNode>;
  /** Snapshots whose tokens pass through this node, so a lookup can resume from any of them. */
  through: Set<Snapshot>;
}

/** A cache hit: the past of the first `length` tokens. Release it when the decode no longer reads it. */
export interface PrefixLease {
  length: number;
  kv: KvCache;
  release(): void;
}

const newNode = (): TrieNode => ({ children: new Map(), through: new Set() });

/**
 * A token-prefix tree of KV snapshots. Candidates, stages and tree-search nodes that share a prefix resume
 * from the longest cached one instead of recomputing it. Bounded in bytes: the least recently used
 * snapshots that no decode holds are evicted first.
 */
export class PrefixCache {
  private readonly root = newNode();
  private readonly snapshots = new Set<Snapshot>();
  private clock = 0;
  private heldBytes = 0;

  constructor(private maxBytes: number) {}

  get bytes(): number {
    return this.heldBytes;
  }

  get size(): number {
    return this.snapshots.size;
  }

  setLimit(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.evict();
  }

  /**
   * The longest cached prefix of `tokens` no longer than `maxLength` (callers keep at least the last prompt
   * token to compute, since its logits start the decode). The snapshot found may be longer than the match;
   * the lease says how many of its tokens apply.
   */
  lookup(tokens: readonly number[], maxLength = tokens.length - 1): { snapshot: Snapshot; length: number } | undefined {
    let node = this.root;
    let depth = 0;
    let best: { snapshot: Snapshot; length: number } | undefined;
    while (depth < maxLength) {
      const child = node.children.get(tokens[depth] as number);
      if (!child) break;
      node = child;
      depth++;
      const snapshot = node.through.values().next().value;
      if (snapshot) best = { snapshot, length: depth };
    }
    return best;
  }

  /** Holds a snapshot so it outlives eviction while a decode reads it. */
  lease(found: { snapshot: Snapshot; length: number }): PrefixLease {
    const { snapshot, length } = found;
    snapshot.refs++;
    snapshot.lastUsed = ++this.clock;
    let released = false;
    return {
      length,
      kv: snapshot.kv,
      release: () => {
        if (released) return;
        released = true;
        snapshot.refs--;
        this.evict();
      },
    };
  }

  /** Stores the past of `tokens`; a sequence already covered by a longer snapshot is not stored twice. */
  insert(tokens: readonly number[], kv: KvCache): void {
    if (kv.batch !== 1 || kv.length !== tokens.length) throw new RangeError(`a snapshot is one row covering its ${tokens.length} tokens`);
    const existing = this.lookup(tokens, tokens.length);
    if (existing && existing.length === tokens.length) {
      existing.snapshot.lastUsed = ++this.clock;
      return;
    }
    if (kv.bytes > this.maxBytes) return;
    const snapshot: Snapshot = { tokens: [...tokens], kv, refs: 0, lastUsed: ++this.clock };
    let node = this.root;
    for (const token of tokens) {
      let child = node.children.get(token);
      if (!child) {
        child = newNode();
        node.children.set(token, child);
      }
      child.through.add(snapshot);
      node = child;
    }
    this.snapshots.add(snapshot);
    this.heldBytes += kv.bytes;
    this.evict();
  }

  clear(): void {
    for (const snapshot of [...this.snapshots]) if (snapshot.refs === 0) this.remove(snapshot);
  }

  private evict(): void {
    if (this.heldBytes <= this.maxBytes) return;
    const idle = [...this.snapshots].filter((snapshot) => snapshot.refs === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const snapshot of idle) {
      if (this.heldBytes <= this.maxBytes) break;
      this.remove(snapshot);
    }
  }

  private remove(snapshot: Snapshot): void {
    let node = this.root;
    const path: Array<[TrieNode, number, TrieNode]> = [];
    for (const token of snapshot.tokens) {
      const child = node.children.get(token) as TrieNode;
      child.through.delete(snapshot);
      path.push([node, token, child]);
      node = child;
    }
    for (const [parent, token, child] of path.reverse()) {
      if (child.through.size === 0 && child.children.size === 0) parent.children.delete(token);
    }
    this.snapshots.delete(snapshot);
    this.heldBytes -= snapshot.kv.bytes;
    snapshot.kv.dispose();
  }
}
