export * from './bucketing';
export * from './drift';
export * from './features';
export * from './profile';
export * from './protocol';
export * from './result';
export * from './signing';
export * from './sketches';
