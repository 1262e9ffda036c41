import type { AttributeValue, Graph, Initializer, Node, TensorValues, ValueInfo } from './model';

/** Builds a graph node by node; each call returns the name of the value it produced. */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(private readonly name: string) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`graph ${this.name}: the value name '${name}' is used twice`);
    this.names.add(name);
    return name;
  }

  /** Adds a node with one output, named `output` or generated from the op type. */
  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, output?: string): string {
    const name = this.claim(output ?? `${opType.toLowerCase()}_${this.counter++}`);
    this.nodes.push({ opType, inputs, outputs: [name], ...(attributes ? { attributes } : {}) });
    return name;
  }

  initializer(name: string, dims: number[], values: TensorValues): string {
    this.initializers.push({ name: this.claim(name), dims, values });
    return name;
  }

  /** An int64 constant: a scalar for a number, a 1-D tensor for a list. */
  int64(name: string, value: number | number[]): string {
    const values = Array.isArray(value) ? value : [value];
    return this.initializer(
      name,
      Array.isArray(value) ? [values.length] : [],
      BigInt64Array.from(values, (item) => BigInt(item)),
    );
  }

  /** A float32 scalar constant. */
  float(name: string, value: number): string {
    return this.initializer(name, [], Float32Array.of(value));
  }

  build(inputs: ValueInfo[], outputs: ValueInfo[]): Graph {
    return { name: this.name, nodes: this.nodes, inputs, outputs, initializers: this.initializers };
  }
}
