/** The record-store contract on a real PostgreSQL: each test opens its own fresh schema. */
import { services } from '../../../test/services.ts';
import { recordStoreContract } from '../contract.ts';
import type { RecordStore } from '../index.ts';
import { PostgresRecordStore } from './index.ts';

const s = await services('record store contract: postgres', ['postgres']);
if (s) {
  recordStoreContract(
    'postgres',
    async (): Promise<RecordStore> => PostgresRecordStore.open({ url: s.pgUrl, schema: s.schema() }),
  );
}
