export * from './base64url';
export * from './canonical-json';
export * from './digest';
export * from './keys';
export * from './manifest';
