export { encodeModel, OPSET_VERSION, TensorType } from './model';
export type { Dimension, Graph, Initializer, Node, TensorTypeCode, ValueInfo } from './model';
