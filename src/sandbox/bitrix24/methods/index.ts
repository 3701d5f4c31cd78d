/** Every method the emulated portal knows, by name. */
import type { MethodHandler } from './context.js';
import { crmEntityMethods } from './crm-entity.js';
import { duplicateMethods } from './duplicate.js';
import { importMethods } from './item-import.js';
import { requisiteMethods } from './requisite.js';
import { userFieldMethods } from './userfield.js';

export const methods: ReadonlyMap<string, MethodHandler> = new Map(
  Object.entries({
    ...crmEntityMethods('company'),
    ...crmEntityMethods('contact'),
    ...requisiteMethods,
    ...duplicateMethods,
    ...importMethods,
    ...userFieldMethods,
  }),
);

/** Methods that change data: the write counter and `lost` faults care about them. */
export const isWriteMethod = (name: string): boolean => /\.(add|update|delete|import|batchimport)$/.test(name);

export type { MethodContext, MethodHandler, MethodResult, Params } from './context.js';
