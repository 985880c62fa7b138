// The IndexedDB schema. Every version's upgrade runs in order, so a database made by any older
// tench opens in this one.

import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { ResultRow } from './results.ts';
import type { RunRecord } from './runs.ts';

export const DB_NAME = 'tench';
export const DB_VERSION = 1;

export interface TenchSchema extends DBSchema {
  runs: {
    key: string;
    value: RunRecord;
    indexes: { byCreated: number };
  };
  results: {
    key: [string, string];
    value: ResultRow;
    indexes: { bySeq: [string, number] };
  };
}

export type TenchDB = IDBPDatabase<TenchSchema>;

export function openStore(name = DB_NAME): Promise<TenchDB> {
  return openDB<TenchSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        const runs = db.createObjectStore('runs', { keyPath: 'id' });
        runs.createIndex('byCreated', 'createdAt');
        const results = db.createObjectStore('results', { keyPath: ['runId', 'path'] });
        results.createIndex('bySeq', ['runId', 'seq']);
      }
    },
    blocked() {
      console.warn('tench: another tab holds an older version of the database open');
    },
  });
}
