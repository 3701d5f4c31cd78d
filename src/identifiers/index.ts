export * from './result.js';
export * from './clean.js';
export * from './inn.js';
export * from './kpp.js';
export * from './ogrn.js';
export * from './ogrnip.js';
export * from './bik.js';
export * from './account.js';
