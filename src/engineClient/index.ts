export * from './engineClient';
