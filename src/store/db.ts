// The IndexedDB schema. Every version's upgrade runs in order, so a database made by any older
// tench opens in this one.

import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { imageKey, type ResultRow, type RunRecord, type Thumb } from './records.ts';

export const DB_NAME = 'tench';
export const DB_VERSION = 3;

export interface TenchSchema extends DBSchema {
  runs: {
    key: string;
    value: RunRecord;
    indexes: { byCreated: number };
  };
  results: {
    key: [string, string];
    value: ResultRow;
    indexes: {
      bySeq: [string, number];
      /** The order rows were stored in: what --out follows, and where a cut-short file goes on. */
      byOrder: [string, number];
      /** The same image under the same model, dtype and preprocessing, in any run. Rows without
       * an image version (a list of plain URLs) are not in it: nothing says the bytes are the same. */
      byImage: [string, string];
      /** Failed rows only: a row whose cause is null is left out of the index. */
      byCause: [string, string];
    };
  };
  /** Small WebP thumbnails made from the decoded image, for the gallery. */
  thumbs: {
    key: [string, string];
    value: Thumb;
  };
}

export type TenchDB = IDBPDatabase<TenchSchema>;
type Upgrade = IDBPTransaction<TenchSchema, ArrayLike<StoreNames<TenchSchema>>, 'versionchange'>;

/** v1 -> v2: the image-key and cause indexes, thumbnails, and image keys for the rows already there. */
async function toVersion2(tx: Upgrade): Promise<void> {
  const db = tx.db;
  const results = tx.objectStore('results');
  results.createIndex('byImage', ['fingerprint', 'imageKey']);
  results.createIndex('byCause', ['runId', 'cause']);
  db.createObjectStore('thumbs', { keyPath: ['runId', 'path'] });
  const datasets = new Map((await tx.objectStore('runs').getAll()).map((r) => [r.id, r.dataset]));
  for (let cursor = await results.openCursor(); cursor; cursor = await cursor.continue()) {
    const row = cursor.value;
    const dataset = datasets.get(row.runId);
    await cursor.update({ ...row, imageKey: dataset ? imageKey(dataset, row.path, row.version) : null });
  }
}

/** v2 -> v3: the store-order index; rows stored before it take their listing position. */
async function toVersion3(tx: Upgrade): Promise<void> {
  const results = tx.objectStore('results');
  results.createIndex('byOrder', ['runId', 'order']);
  for (let cursor = await results.openCursor(); cursor; cursor = await cursor.continue()) {
    if (typeof cursor.value.order !== 'number') await cursor.update({ ...cursor.value, order: cursor.value.seq });
  }
}

export function openStore(name = DB_NAME): Promise<TenchDB> {
  return openDB<TenchSchema>(name, DB_VERSION, {
    async upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        const runs = db.createObjectStore('runs', { keyPath: 'id' });
        runs.createIndex('byCreated', 'createdAt');
        const results = db.createObjectStore('results', { keyPath: ['runId', 'path'] });
        results.createIndex('bySeq', ['runId', 'seq']);
      }
      if (oldVersion < 2) await toVersion2(tx);
      if (oldVersion < 3) await toVersion3(tx);
    },
    blocked() {
      console.warn('tench: another tab holds an older version of the database open');
    },
  });
}
