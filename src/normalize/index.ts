export * from './text.js';
export * from './encoding.js';
export * from './legal-form.js';
export * from './person-name.js';
export * from './match-key.js';
export * from './phone.js';
export * from './email.js';
