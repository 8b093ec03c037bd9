/**
 * Child process for the crash test: writes multi-document batches (insertMany, and transactions
 * spanning two collections) as fast as it can until it is killed with SIGKILL.
 */
import { openEmbeddedDatabase } from '../../src/store/embedded/engine.js';

const dir = process.argv[2];
const db = await openEmbeddedDatabase(dir);
const docs = db.collection('docs');
const left = db.collection('left');
const right = db.collection('right');
await docs.createIndex({ key: 1 }, { unique: true });
await docs.createIndex({ batch: 1 });
let batch = 0;
let announced = false;
async function insertBatches(): Promise<never> {
  for (;;) {
    const b = batch++;
    await docs.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `${b}-${i}`, batch: b, key: `k${b}-${i}`, pad: 'x'.repeat(200) })));
    if (!announced) {
      announced = true;
      process.stdout.write('ready\n');
    }
  }
}
async function transactions(): Promise<never> {
  for (let t = 0; ; t++) {
    await db.withTransaction(async (session) => {
      await left.insertOne({ _id: `t${t}`, n: t }, { session });
      await right.insertMany([{ _id: `t${t}a` }, { _id: `t${t}b` }], { session });
      await docs.updateOne({ _id: 'counter' }, { $inc: { n: 1 } }, { session, upsert: true });
    });
  }
}
await Promise.all([insertBatches(), insertBatches(), insertBatches(), transactions()]);
