export { GraphBuilder } from './builder';
export { PROTOBUF_LIMIT, writeModelFile } from './file';
export type { WrittenModel } from './file';
export { fromFloat16, toFloat16 } from './float16';
export { encodeModel, floatAttribute, OPSET_VERSION, TensorType } from './model';
export type { AttributeValue, Dimension, Graph, Initializer, Node, TensorTypeCode, TensorValues, ValueInfo } from './model';
