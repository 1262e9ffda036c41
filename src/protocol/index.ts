// The one place where message shapes between the host, the webview and the engine process are defined.
export * from './engine';
export * from './generation';
export * from './provider';
export * from '../dataset/operationSchema';
export * from '../dataset/recordSummarySchema';
export * from '../dataset/conflictViewSchema';
export * from './overview';
export * from './webview';
