export * from './unit/index.ts';
export * from './user/index.ts';
