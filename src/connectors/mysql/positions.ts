export { MemoryPositionStore, PositionWriter, type PositionStore } from '../../core/positions.js';

export const fullKey = (name: string, table: string): string => `mysql/${name}/${table}/full`;
export const deltaKey = (name: string, table: string): string => `mysql/${name}/${table}/delta`;
/** Value of a full position once the table's scan finished and everything in it was acked. */
export const FULL_DONE = 'done';
/** Binlog mode: one position for all tables (the binlog orders them), JSON `BinlogPosition`. */
export const binlogKey = (name: string): string => `mysql/${name}/binlog`;
